import ArgumentParser
import BridgeOperations
import Foundation
import Logging
import Metrics
import PresenceBridge
import PresenceWire
import ServiceLifecycle

/// `presence-bridge run`: serves presence next to a broker until SIGINT/SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the presence bridge next to an MQTT broker.",
        discussion: "Every option also reads an environment variable (PRESENCE_BROKER, PRESENCE_USERNAME, PRESENCE_PASSWORD, PRESENCE_PASSWORD_FILE, PRESENCE_DATA_DIR, PRESENCE_PREFIX, ...). Durations are seconds and accept fractions."
    )

    @OptionGroup var connection: BrokerOptions
    @Option(help: "Broker username (PRESENCE_USERNAME; default presence-bridge).") var username: String?
    @Option(help: "MQTT client id (PRESENCE_CLIENT_ID; default presence-bridge).") var clientId: String?
    @Option(help: "Folder of the SQLite store (PRESENCE_DATA_DIR; default data/bridge).") var dataDir: String?
    @Option(help: "Seconds between device heartbeats; silent 2.5 intervals = lost (PRESENCE_HEARTBEAT_INTERVAL; 30).") var heartbeatInterval: Double?
    @Option(help: "Seconds a lost device keeps its status before viewers see it offline (PRESENCE_OFFLINE_GRACE; 5).") var offlineGrace: Double?
    @Option(help: "Default activity lease in seconds (PRESENCE_ACTIVITY_TTL; 3).") var activityTtl: Double?
    @Option(help: "Most ids in contacts and blocked (PRESENCE_MAX_LIST; \(WireLimits.defaultListSize)).") var maxList: Int?
    @Option(help: "Most ids in watch (PRESENCE_MAX_WATCH; \(WireLimits.defaultWatchSize)).") var maxWatch: Int?
    @Option(help: "Inputs per second per user, bursts of twice that; 0 = off (PRESENCE_RATE_LIMIT; 20).") var rateLimit: Double?
    @Option(help: "Seconds between bridge/stats refreshes (PRESENCE_STATS_INTERVAL; 5).") var statsInterval: Double?
    @Option(help: "Seconds without a retained message after which a replay counts as complete (PRESENCE_REPLAY_TIMEOUT; 10).") var replayTimeout: Double?
    @Option(help: "Seconds between checkpoint markers while views change (PRESENCE_CHECKPOINT_INTERVAL; 2).") var checkpointInterval: Double?
    @Option(help: "Seconds a deleted view's tombstone is kept; more than the broker's autosave_interval (PRESENCE_TOMBSTONE_RETENTION; 900).") var tombstoneRetention: Double?
    @Option(help: "Views a resync decides at a time before the outbox drains: bounds its memory (PRESENCE_RESYNC_SLICE; 20000).") var resyncSlice: Int?
    @Option(help: "Most received messages waiting for the writer; when full, the MQTT client stops reading until the writer takes them (PRESENCE_RECEIVE_BUFFER; 100000).") var receiveBuffer: Int?
    @Option(help: "Most bytes of received messages (topics and payloads) waiting for the writer, the same way (PRESENCE_RECEIVE_BUFFER_BYTES; 33554432 = 32 MiB).") var receiveBufferBytes: Int?
    @Option(help: "Serve /metrics, /livez and /readyz for operators on HOST:PORT, e.g. 127.0.0.1:9464 (PRESENCE_HTTP; off).") var http: String?
    @Option(help: "This bridge's shard in a federation of brokers: it runs beside broker SHARD (0-based) of --brokers and owns the users homed there (PRESENCE_SHARD; off).") var shard: Int?
    @Option(help: "The federation's broker URLs, comma-separated, in order; the same list everywhere (PRESENCE_BROKERS; with --shard).") var brokers: String?
    @Option(help: "MQTT keepalive in seconds: a connection silent this long is pinged, and lost if the ping is not answered, also when no RST ever comes (PRESENCE_KEEPALIVE; 30).") var keepalive: Int?
    @Option(help: "Most retained views a read-back asks for at once, else batches of viewers; well under the broker's max_queued_messages (PRESENCE_READ_BACK_BATCH; 200000).") var readBackBatch: Int?

    func run() async throws {
        let logger = try connection.bootstrapLogging(label: "presence-bridge", defaultLevel: .info)
        logger.info("presence-bridge \(BridgeVersion.current) starting", metadata: ["version": "\(BridgeVersion.current)"])

        var configuration = BridgeConfiguration()
        configuration.shard = try federationShard()
        configuration.brokerURL = try configuration.shard.flatMap { shard in connection.explicitBrokerURL ?? shard.brokerURL }
            ?? connection.brokerURL
        configuration.username = setting(username, "PRESENCE_USERNAME") ?? configuration.username
        configuration.password = try connection.password()
        configuration.caFile = connection.caFile
        configuration.clientID = try setting(clientId, "PRESENCE_CLIENT_ID", default: configuration.clientID)
        configuration.dataDirectory = try setting(dataDir, "PRESENCE_DATA_DIR", default: configuration.dataDirectory)
        configuration.topics = TopicLayout(prefix: try connection.topicPrefix)
        configuration.heartbeatInterval = try positive(setting(heartbeatInterval, "PRESENCE_HEARTBEAT_INTERVAL", default: configuration.heartbeatInterval), "heartbeat-interval")
        configuration.offlineGrace = try nonNegative(setting(offlineGrace, "PRESENCE_OFFLINE_GRACE", default: configuration.offlineGrace), "offline-grace")
        configuration.activityTTL = try positive(setting(activityTtl, "PRESENCE_ACTIVITY_TTL", default: configuration.activityTTL), "activity-ttl")
        configuration.maximumList = try setting(maxList, "PRESENCE_MAX_LIST", default: configuration.maximumList)
        configuration.maximumWatch = try setting(maxWatch, "PRESENCE_MAX_WATCH", default: configuration.maximumWatch)
        configuration.rateLimit = try nonNegative(setting(rateLimit, "PRESENCE_RATE_LIMIT", default: configuration.rateLimit), "rate-limit")
        configuration.statsInterval = try positive(setting(statsInterval, "PRESENCE_STATS_INTERVAL", default: configuration.statsInterval), "stats-interval")
        configuration.replayTimeout = try positive(setting(replayTimeout, "PRESENCE_REPLAY_TIMEOUT", default: configuration.replayTimeout), "replay-timeout")
        configuration.checkpointInterval = try positive(setting(checkpointInterval, "PRESENCE_CHECKPOINT_INTERVAL", default: configuration.checkpointInterval), "checkpoint-interval")
        configuration.resyncSlice = try setting(resyncSlice, "PRESENCE_RESYNC_SLICE", default: configuration.resyncSlice)
        guard configuration.resyncSlice > 0 else { throw ValidationError("resync-slice must be positive") }
        configuration.receiveBuffer = try setting(receiveBuffer, "PRESENCE_RECEIVE_BUFFER", default: configuration.receiveBuffer)
        guard configuration.receiveBuffer > 0 else { throw ValidationError("receive-buffer must be positive") }
        configuration.receiveBufferBytes = try setting(receiveBufferBytes, "PRESENCE_RECEIVE_BUFFER_BYTES", default: configuration.receiveBufferBytes)
        guard configuration.receiveBufferBytes >= 65_536 else { throw ValidationError("receive-buffer-bytes must be at least 65536 (one payload at the contract's limit)") }
        configuration.readBackBatch = try setting(readBackBatch, "PRESENCE_READ_BACK_BATCH", default: configuration.readBackBatch)
        guard configuration.readBackBatch > 0 else { throw ValidationError("read-back-batch must be positive") }
        configuration.keepAlive = try setting(keepalive, "PRESENCE_KEEPALIVE", default: configuration.keepAlive)
        // libmosquitto refuses a keepalive under 5 s at connect time; say so at the start instead.
        guard (5...65535).contains(configuration.keepAlive) else { throw ValidationError("keepalive must be 5...65535 seconds") }
        configuration.tombstoneRetention = try positive(setting(tombstoneRetention, "PRESENCE_TOMBSTONE_RETENTION", default: configuration.tombstoneRetention), "tombstone-retention")

        let listen = try setting(http, "PRESENCE_HTTP").map { text in
            guard let address = ListenAddress(text) else { throw ValidationError("--http wants HOST:PORT, not '\(text)'") }
            return address
        }

        let exposition = PrometheusExposition()
        MetricsSystem.bootstrap(exposition.factory)
        let service = PresenceBridgeService(configuration: configuration, logger: logger, metricsFactory: exposition.factory)
        let notifier = try SystemdNotifier.fromEnvironment()
        notifier?.follow(service.readiness)
        let watchdog = SystemdWatchdog.fromEnvironment(notifier: notifier)
        let server = try listen.map {
            try OperatorHTTPServer(address: $0, endpoints: OperatorEndpoints(service: service, exposition: exposition), logger: logger)
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        // The listener first: a port already taken ends the start before the bridge connects.
        // It and the watchdog outlive the bridge's shutdown, and end with it.
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            if let server {
                tasks.addTask { try await server.run() }
                do {
                    try await server.waitUntilListening()
                } catch {
                    logger.critical("\(error)")
                    throw ExitCode.failure
                }
                logger.info("serving /metrics, /livez and /readyz", metadata: ["http": "\(server.address)"])
            }
            if let watchdog {
                tasks.addTask { await watchdog.run(alive: { service.isAlive }) }
            }
            try await group.run()
            tasks.cancelAll()
        }
    }

    /// `--shard` and `--brokers` (or their variables), both or neither.
    private func federationShard() throws -> Shard? {
        let list = setting(brokers, "PRESENCE_BROKERS")
        let index = try setting(shard, "PRESENCE_SHARD", default: -1)
        guard let list else {
            if index >= 0 { throw ValidationError("--shard needs --brokers (or PRESENCE_BROKERS)") }
            return nil
        }
        guard let homes = HomeBrokers(list: list) else { throw ValidationError("--brokers must list distinct broker URLs, comma-separated") }
        guard index >= 0 else { throw ValidationError("--brokers needs --shard (or PRESENCE_SHARD): which of the brokers this bridge runs beside") }
        guard let shard = Shard(index: index, brokers: homes) else {
            throw ValidationError("--shard \(index) is not in the list of \(homes.count) brokers (0 to \(homes.count - 1))")
        }
        return shard
    }

    private func positive(_ value: Double, _ name: String) throws -> Double {
        guard value > 0, value.isFinite else { throw ValidationError("--\(name) must be a positive number of seconds") }
        return value
    }

    private func nonNegative(_ value: Double, _ name: String) throws -> Double {
        guard value >= 0, value.isFinite else { throw ValidationError("--\(name) must not be negative") }
        return value
    }
}

import ArgumentParser
import Foundation
import Logging
import PresenceBridge
import ServiceLifecycle

/// `presence-bridge run`: serves presence next to a broker until SIGINT/SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the presence bridge next to an MQTT broker.",
        discussion: "Every option also reads an environment variable (PRESENCE_BROKER, PRESENCE_USERNAME, PRESENCE_PASSWORD, PRESENCE_PASSWORD_FILE, PRESENCE_DATA_DIR, PRESENCE_PREFIX, ...). Durations are seconds and accept fractions."
    )

    @Option(help: "Broker URL, mqtt://host:port or mqtts://host:port (PRESENCE_BROKER).") var broker: String?
    @Option(help: "Broker username (PRESENCE_USERNAME; default presence-bridge).") var username: String?
    @Option(help: "File holding the broker password (PRESENCE_PASSWORD_FILE; or PRESENCE_PASSWORD).") var passwordFile: String?
    @Option(help: "CA file for mqtts:// (PRESENCE_CAFILE).") var cafile: String?
    @Option(help: "MQTT client id (PRESENCE_CLIENT_ID; default presence-bridge).") var clientId: String?
    @Option(help: "Folder of the SQLite store (PRESENCE_DATA_DIR; default data/bridge).") var dataDir: String?
    @Option(help: "Topic prefix (PRESENCE_PREFIX; default presence/v1).") var prefix: String?
    @Option(help: "Seconds between device heartbeats; silent 2.5 intervals = lost (PRESENCE_HEARTBEAT_INTERVAL; 30).") var heartbeatInterval: Double?
    @Option(help: "Seconds a lost device keeps its status before viewers see it offline (PRESENCE_OFFLINE_GRACE; 5).") var offlineGrace: Double?
    @Option(help: "Default activity lease in seconds (PRESENCE_ACTIVITY_TTL; 3).") var activityTtl: Double?
    @Option(help: "Most ids in contacts and blocked (PRESENCE_MAX_LIST; 2000).") var maxList: Int?
    @Option(help: "Most ids in watch (PRESENCE_MAX_WATCH; 500).") var maxWatch: Int?
    @Option(help: "Inputs per second per user, bursts of twice that; 0 = off (PRESENCE_RATE_LIMIT; 20).") var rateLimit: Double?
    @Option(help: "Seconds between bridge/stats refreshes (PRESENCE_STATS_INTERVAL; 5).") var statsInterval: Double?
    @Option(help: "Seconds without a retained message after which a replay counts as complete (PRESENCE_REPLAY_TIMEOUT; 10).") var replayTimeout: Double?
    @Option(help: "trace, debug, info, notice, warning, error or critical (PRESENCE_LOG_LEVEL; info).") var logLevel: String?

    func run() async throws {
        let level = try setting(logLevel, "PRESENCE_LOG_LEVEL", default: "info")
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ValidationError("unknown log level '\(level)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "presence-bridge")

        var configuration = BridgeConfiguration()
        configuration.brokerURL = try setting(broker, "PRESENCE_BROKER", default: configuration.brokerURL)
        configuration.username = setting(username, "PRESENCE_USERNAME") ?? configuration.username
        configuration.password = try password()
        configuration.caFile = setting(cafile, "PRESENCE_CAFILE")
        configuration.clientID = try setting(clientId, "PRESENCE_CLIENT_ID", default: configuration.clientID)
        configuration.dataDirectory = try setting(dataDir, "PRESENCE_DATA_DIR", default: configuration.dataDirectory)
        configuration.topics = TopicLayout(prefix: try setting(prefix, "PRESENCE_PREFIX", default: configuration.topics.prefix))
        configuration.heartbeatInterval = try positive(setting(heartbeatInterval, "PRESENCE_HEARTBEAT_INTERVAL", default: configuration.heartbeatInterval), "heartbeat-interval")
        configuration.offlineGrace = try nonNegative(setting(offlineGrace, "PRESENCE_OFFLINE_GRACE", default: configuration.offlineGrace), "offline-grace")
        configuration.activityTTL = try positive(setting(activityTtl, "PRESENCE_ACTIVITY_TTL", default: configuration.activityTTL), "activity-ttl")
        configuration.maximumList = try setting(maxList, "PRESENCE_MAX_LIST", default: configuration.maximumList)
        configuration.maximumWatch = try setting(maxWatch, "PRESENCE_MAX_WATCH", default: configuration.maximumWatch)
        configuration.rateLimit = try nonNegative(setting(rateLimit, "PRESENCE_RATE_LIMIT", default: configuration.rateLimit), "rate-limit")
        configuration.statsInterval = try positive(setting(statsInterval, "PRESENCE_STATS_INTERVAL", default: configuration.statsInterval), "stats-interval")
        configuration.replayTimeout = try positive(setting(replayTimeout, "PRESENCE_REPLAY_TIMEOUT", default: configuration.replayTimeout), "replay-timeout")

        let service = PresenceBridgeService(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }

    /// The password from `--password-file`, `PRESENCE_PASSWORD_FILE` or `PRESENCE_PASSWORD`; never logged.
    private func password() throws -> String? {
        if let path = setting(passwordFile, "PRESENCE_PASSWORD_FILE") {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read the password file \(path)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return setting(nil, "PRESENCE_PASSWORD")
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

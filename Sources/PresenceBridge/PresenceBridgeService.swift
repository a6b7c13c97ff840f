import Foundation
import Logging
import MQTT
import PresenceCore
import ServiceLifecycle
import Synchronization

/// The presence bridge as a swift-service-lifecycle `Service`: `run()` serves until a graceful
/// shutdown (SIGINT/SIGTERM through a `ServiceGroup`, or `shutdown()`), then finishes in-flight
/// work, flushes the store, sets `bridge/status` offline and disconnects.
///
/// Tasks, all inside `run()`: two forwarders (MQTT messages, connection events) and a timer
/// feed the `BridgeInbox`; the single writer (`BridgeWriter`) drains it; one publisher drains
/// the `Outbox` into the MQTT client.
public final class PresenceBridgeService: Service, Sendable {
    private let configuration: BridgeConfiguration
    private let logger: Logger
    private let inbox = BridgeInbox()
    private let snapshot = Mutex(BridgeSnapshot())

    public init(configuration: BridgeConfiguration, logger: Logger = Logger(label: "presence-bridge")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The counters as of the last handled batch.
    public var statistics: BridgeStatistics { snapshot.withLock { $0.statistics } }

    /// True once the first resync is complete and views flow.
    public var isLive: Bool { snapshot.withLock { $0.isLive } }

    /// Asks a running service to stop as on SIGTERM.
    public func shutdown() { inbox.post(.shutdown) }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await serve()
        } onGracefulShutdown: {
            self.inbox.post(.shutdown)
        }
    }

    private func serve() async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let store = try PresenceStore(directory: configuration.dataDirectory)
        let client = MQTTClient(configuration: try configuration.mqtt(), logger: logger)
        guard try await connect(client) else { return }

        let outbox = Outbox(whenDrained: { [inbox] in inbox.post(.tick) })
        let schedule = WakeSchedule()
        let startedAt = Timestamp.now()
        let writer = BridgeWriter(configuration: configuration, outbox: outbox, store: store,
                                  schedule: schedule, logger: logger, startedAt: startedAt,
                                  wake: { [inbox] in inbox.post(.tick) })
        logger.info("connected", metadata: ["broker": "\(configuration.brokerURL)", "prefix": "\(configuration.topics.prefix)"])

        let publisher = Task { [logger] in
            await Self.publish(outbox, through: client, logger: logger)
        }

        await withTaskGroup(of: Void.self) { group in
            let inbox = self.inbox
            group.addTask {
                for await message in client.messages { inbox.post(.message(message)) }
            }
            group.addTask {
                for await event in client.connectionEvents { inbox.post(.connection(event)) }
            }
            let resolution = Duration.milliseconds(Int64(max(1, configuration.timerResolution * 1000)))
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: resolution)
                    if schedule.claimTick(at: .now()) { inbox.post(.tick) }
                }
            }

            writer.beginResync(at: .now())
            publishSnapshot(writer)
            while writer.handle(await inbox.take()) {
                publishSnapshot(writer)
            }
            writer.finish()
            publishSnapshot(writer)

            // Shutting down: everything decided is queued; send it, then say goodbye.
            outbox.enqueue(MQTTMessage(topic: configuration.topics.statusTopic,
                                       payload: configuration.statusPayload(online: false, startedAt: startedAt),
                                       qos: .atLeastOnce, retain: true))
            outbox.close()
            await publisher.value
            await client.waitForPublishes()
            await client.disconnect()
            group.cancelAll()
        }
        logger.info("stopped")
    }

    /// Connects, retrying with backoff while the broker is unreachable; a refused login or a bad
    /// configuration (URL, client id, TLS) fails at once.
    /// Returns false when a shutdown came first.
    private func connect(_ client: MQTTClient) async throws -> Bool {
        var delay = Duration.milliseconds(200)
        while true {
            do {
                try await client.connect()
                return true
            } catch let error where [.notAuthorized, .invalidArgument, .invalidURL, .protocolError, .tls].contains(error.code) {
                throw error
            } catch {
                logger.warning("broker not reachable; retrying", metadata: ["error": "\(error)", "retry-in": "\(delay)"])
            }
            try? await Task.sleep(for: delay)
            if Task.isCancelled || Task.isShuttingDownGracefully { return false }
            delay = min(delay * 2, .seconds(10))
        }
    }

    /// Drains the outbox into the connection in order, until it is closed and empty.
    ///
    /// A publish fails only while the connection is down; the resync after it decides anew what
    /// the broker lacks. A checkpoint goes out only when the outbox says its promise holds.
    private static func publish(_ outbox: Outbox, through client: MQTTClient, logger: Logger) async {
        var failures = 0
        func failed(_ error: MQTTError, _ what: String) {
            failures += 1
            if failures == 1 || failures % 1000 == 0 {
                logger.warning("\(what) failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
        }
        while let batch = await outbox.take() {
            var connection = client.statistics.reconnects
            var handled = 0
            defer { outbox.noteHandled(handled) }
            for item in batch {
                if handled == 256 {
                    outbox.noteHandled(handled)
                    handled = 0
                }
                handled += 1
                do throws(MQTTError) {
                    switch item {
                    case .message(let message):
                        try await client.publish(message)
                        outbox.noteSent(succeeded: true, connection: connection)
                    case .subscribe(let filters):
                        _ = try await client.subscribe(filters, qos: .atLeastOnce)
                    case .unsubscribe(let filters):
                        try await client.unsubscribe(filters)
                    case .checkpoint(let message, let sequence, let generation):
                        connection = client.statistics.reconnects
                        guard outbox.mayCheckpoint(generation: generation, connection: connection) else { continue }
                        try await client.publish(message)
                        outbox.noteCheckpointSent(sequence)
                    }
                } catch {
                    // Only a publish that did not reach the connection breaks a checkpoint's promise.
                    if case .message = item { outbox.noteSent(succeeded: false, connection: connection) }
                    failed(error, "\(item.verb)")
                }
            }
        }
    }

    private func publishSnapshot(_ writer: BridgeWriter) {
        let statistics = writer.currentStatistics
        let live = writer.isLive
        snapshot.withLock { $0 = BridgeSnapshot(statistics: statistics, isLive: live) }
    }
}

/// What the service shows of its writer to other tasks.
private struct BridgeSnapshot: Sendable {
    var statistics = BridgeStatistics()
    var isLive = false
}

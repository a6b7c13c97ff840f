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
/// The pipeline, one direction: libmosquitto's network thread hands messages and connection
/// events, in order, to the client's bounded inbox (`MQTTInbox`); the single writer
/// (`BridgeWriter`) takes them a batch at a time on a thread of its own (`WriterThread`), waiting
/// at most until its own next deadline (the engine's timers, the replay's, the checkpoint's and
/// `bridge/stats`'), and queues what it decided in the `Outbox`; one publisher task, a child of
/// the service's task group on the same thread, drains the outbox into the connection.
public final class PresenceBridgeService: Service, Sendable {
    private let configuration: BridgeConfiguration
    private let logger: Logger
    private let snapshot = Mutex(BridgeSnapshot())
    /// Set by `shutdown()` (or a graceful shutdown); the writer stops at its next turn.
    private let stopRequested = Atomic<Bool>(false)
    /// The inbox the writer waits on, once connected: a shutdown wakes it.
    private let runningInbox = Mutex<MQTTInbox?>(nil)

    public init(configuration: BridgeConfiguration, logger: Logger = Logger(label: "presence-bridge")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The counters as of the last handled batch.
    public var statistics: BridgeStatistics { snapshot.withLock { $0.statistics } }

    /// True once the first resync is complete and views flow.
    public var isLive: Bool { snapshot.withLock { $0.isLive } }

    /// Asks a running service to stop as on SIGTERM.
    public func shutdown() {
        stopRequested.store(true, ordering: .releasing)
        runningInbox.withLock { $0 }?.wake()
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await serve()
        } onGracefulShutdown: {
            self.shutdown()
        }
    }

    private func serve() async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let store = try PresenceStore(directory: configuration.dataDirectory)
        let client = MQTTClient(configuration: try configuration.mqtt(), logger: logger)
        // The MQTT client retries until the broker answers; a refused login or a bad
        // configuration (URL, client id, TLS) fails at once, and a shutdown ends the wait.
        do {
            try await cancelWhenGracefulShutdown { try await client.connect() }
        } catch let error as MQTTError where !error.isPermanent {
            logger.notice("stopped before the broker answered", metadata: ["error": "\(error)"])
            return
        }
        let inbox = client.inbox
        runningInbox.withLock { $0 = inbox }
        if stopRequested.load(ordering: .acquiring) { inbox.wake() }

        let outbox = Outbox(whenDrained: { inbox.wake() })
        let startedAt = Timestamp.now()
        let timings = PipelineTimings()
        let writer = BridgeWriter(configuration: configuration, outbox: outbox, store: store,
                                  logger: logger, startedAt: startedAt, timings: timings,
                                  transport: { client.statistics }, wake: { inbox.wake() })
        logger.info("connected", metadata: ["broker": "\(configuration.brokerURL)", "prefix": "\(configuration.topics.prefix)"])

        let writerThread = WriterThread()
        defer { writerThread.stop() }
        // The writer and the publisher share the writer's thread: a batch's views go from the
        // writer to the publisher without waking another thread, and the publisher runs while the
        // writer waits for input (it yields to the writer every 256 items of a long batch).
        await withTaskExecutorPreference(writerThread) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [logger] in
                    await Self.publish(outbox, through: client, timings: timings, logger: logger)
                }
                await write(writer, from: inbox)
                // Shutting down: everything decided is queued; send it, then say goodbye. The inbox
                // is not read any more, so the network thread must never wait for room in it.
                inbox.stopTaking()
                outbox.enqueue(MQTTMessage(topic: configuration.topics.statusTopic,
                                           payload: configuration.statusPayload(online: false, startedAt: startedAt),
                                           qos: .atLeastOnce, retain: true))
                outbox.close()
                await group.waitForAll()
                await client.waitForPublishes()
                await client.disconnect()
            }
        }
        logger.info("stopped")
    }

    /// The writer's loop: a batch of what the client received (or nothing, at the writer's
    /// deadline or when woken), handled, until a shutdown, a cancellation or the client's end.
    private func write(_ writer: BridgeWriter, from inbox: MQTTInbox) async {
        writer.beginResync(at: .now())
        publishSnapshot(writer)
        var batch: [MQTTInbound] = []
        while !stopRequested.load(ordering: .acquiring), !Task.isCancelled {
            let arrival = await inbox.take(into: &batch, timeout: writer.timeUntilNextDeadline(from: .now()))
            if batch.isEmpty, inbox.isFinished { break }
            writer.handle(batch, arrival: arrival)
            publishSnapshot(writer)
            // The publisher shares this thread: let it send what this batch queued before the
            // next batch (a take that finds input waiting does not suspend).
            await Task.yield()
        }
        writer.finish()
        publishSnapshot(writer)
    }

    /// Drains the outbox into the connection in order, until it is closed and empty.
    ///
    /// A publish fails only while the connection is down; the resync after it decides anew what
    /// the broker lacks. A checkpoint goes out only when the outbox says its promise holds.
    private static func publish(_ outbox: Outbox, through client: MQTTClient, timings: PipelineTimings, logger: Logger) async {
        var failures = 0
        func failed(_ error: MQTTError, _ what: String) {
            failures += 1
            if failures == 1 || failures % 1000 == 0 {
                logger.warning("\(what) failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
        }
        while let batch = await outbox.take(), !Task.isCancelled {
            var connection = client.statistics.reconnects
            var handled = 0
            defer { outbox.noteHandled(handled) }
            for item in batch {
                if handled == 256 {
                    outbox.noteHandled(handled)
                    handled = 0
                    await Task.yield()  // the writer shares this thread
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
                    case .timing(let arrival, let queued):
                        let now = ContinuousClock.now
                        timings.record { timings in
                            timings.outbox.record(now - queued)
                            timings.inputToBroker.record(now - arrival)
                        }
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

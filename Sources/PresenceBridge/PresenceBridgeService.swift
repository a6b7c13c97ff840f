import Foundation
import Logging
import Metrics
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
/// the service's task group, drains the outbox into the connection.
public final class PresenceBridgeService: Service, Sendable {
    private let configuration: BridgeConfiguration
    private let logger: Logger
    private let snapshot = Mutex(BridgeSnapshot())
    /// Set by `shutdown()` (or a graceful shutdown); the writer stops at its next turn.
    private let stopRequested = Atomic<Bool>(false)
    /// The inbox the writer waits on, once connected: a shutdown wakes it.
    private let runningInbox = Mutex<MQTTInbox?>(nil)
    /// Whether the bridge is ready, in one place (see `Readiness`).
    public let readiness = Readiness()
    /// The outbox, while serving.
    private let runningOutbox = Mutex<Outbox?>(nil)
    /// The MQTT client, while serving.
    private let runningClient = Mutex<MQTTClient?>(nil)
    /// Where the writer's loop is, for `isAlive`.
    private let loop = Mutex(LoopState.starting)
    /// The metrics of this bridge (`BridgeMetrics`).
    private let metrics: BridgeMetrics

    /// A bridge for `configuration`, its metrics made by `metricsFactory` (swift-metrics'
    /// global factory unless told otherwise: a test gives each bridge a registry of its own).
    public init(configuration: BridgeConfiguration, logger: Logger = Logger(label: "presence-bridge"),
                metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.configuration = configuration
        self.logger = logger
        let metrics = BridgeMetrics(factory: metricsFactory)
        self.metrics = metrics
        readiness.observe { old, new in metrics.noteReadiness(new) }
        readiness.observe { [logger] old, new in
            if new.isReady, !old.isReady {
                logger.info("live", metadata: [
                    "from": "\(new.lastResync?.source ?? "")", "views-repaired": "\(new.lastResync?.viewsRepaired ?? 0)",
                    "milliseconds": "\(new.lastResync?.milliseconds ?? 0)",
                ])
            } else if old.isReady, !new.isReady {
                logger.notice("not ready", metadata: ["reason": "\(new.reason)"])
            }
        }
    }

    /// The counters as of the last handled batch.
    public var statistics: BridgeStatistics { snapshot.withLock { $0.statistics } }

    /// True while ready (`Readiness`): connected, the last resync's views handed to the broker,
    /// the store writable, not stopping.
    public var isLive: Bool { readiness.isReady }

    /// The longest a single turn of the writer may take before the bridge counts as hung (a
    /// cold start's store load at 100,000 × 50 takes ~5 s, a whole inbox of 100,000 messages ~1 s).
    public static let turnLimit = Duration.seconds(60)

    /// Alive: `run()` has not returned, and the writer is waiting for the broker, waiting for
    /// input, or in a turn that began less than `turnLimit` ago. Whatever the broker does: a
    /// bridge waiting for its broker is alive (and not ready). `/livez` and systemd's watchdog.
    public var isAlive: Bool {
        switch loop.withLock({ $0 }) {
        case .starting, .waiting: true
        case .busy(let since): ContinuousClock.now - since < Self.turnLimit
        case .stopped: false
        }
    }

    /// Views decided and not yet handed to the broker (0 when not serving).
    public var viewsUnsent: Int { runningOutbox.withLock { $0 }?.unsentViews ?? 0 }

    /// Brings the metrics up to date now (a scrape calls it): the counters and gauges of the
    /// latest batch, and the outbox's unsent views, which change between batches too.
    public func refreshMetrics() {
        let transport = runningClient.withLock { $0 }?.statistics
        metrics.export(statistics, transport: transport)
        metrics.noteOutboxViews(viewsUnsent)
    }

    /// Asks a running service to stop as on SIGTERM.
    public func shutdown() {
        readiness.noteStopping()
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
        defer { loop.withLock { $0 = .stopped } }
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let store = try PresenceStore(directory: configuration.dataDirectory)
        let client = MQTTClient(configuration: try configuration.mqtt(), logger: logger)
        runningClient.withLock { $0 = client }
        defer { runningClient.withLock { $0 = nil } }
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
        runningOutbox.withLock { $0 = outbox }
        defer { runningOutbox.withLock { $0 = nil } }
        let started = ClockReading.now()
        let timings = PipelineTimings(metrics: metrics)
        let writer = BridgeWriter(configuration: configuration, outbox: outbox, store: store,
                                  logger: logger, started: started, timings: timings, readiness: readiness,
                                  transport: { client.statistics }, wake: { inbox.wake() })
        logger.info("connected", metadata: ["broker": "\(configuration.brokerURL)", "prefix": "\(configuration.topics.prefix)"])

        let writerThread = WriterThread()
        defer { writerThread.stop() }
        var standingDown: BridgeTakenOver?
        // The publisher runs on the cooperative pool, beside the writer's thread: on 2 cores it
        // sends one batch's views while the writer decides the next. (Sharing the writer's thread
        // saved a thread wake-up per batch, but made no measurable difference and left the
        // publisher less time on a busy machine: more views coalesced.)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [logger, readiness, metrics] in
                await Publisher.run(outbox, through: client, timings: timings, readiness: readiness, metrics: metrics,
                                   logger: logger, wakeWriter: { inbox.wake() })
            }
            let takenOver = await withTaskExecutorPreference(writerThread) {
                await write(writer, from: inbox, client: client)
            }
            standingDown = takenOver
            if takenOver != nil { readiness.noteStopping() }
            // Shutting down: everything decided is queued; send it, then say goodbye. The inbox
            // is not read any more, so the network thread must never wait for room in it.
            // Taken over, the other bridge's status is the one that counts.
            inbox.stopTaking()
            if takenOver == nil {
                outbox.enqueue(MQTTMessage(topic: configuration.topics.statusTopic,
                                           payload: configuration.statusPayload(online: false, startedAt: started.wall),
                                           qos: .atLeastOnce, retain: true))
            }
            outbox.close()
            await group.waitForAll()
            await client.waitForPublishes()
            await client.disconnect()
        }
        if let standingDown {
            logger.critical("taken over: standing down", metadata: ["error": "\(standingDown)"])
            throw standingDown
        }
        logger.info("stopped")
    }

    /// The writer's loop: a batch of what the client received (or nothing, at the writer's
    /// deadline or when woken), handled, until a shutdown, a cancellation or the client's end.
    ///
    /// Taken over by another bridge (the writer saw its claim, or the broker said so and the
    /// client ended), the writer stops without `finish()`: the store stays as its last batch left
    /// it, as after a crash, and nothing more is written for a prefix another bridge serves now.
    /// Returns why, then.
    private func write(_ writer: BridgeWriter, from inbox: MQTTInbox, client: MQTTClient) async -> BridgeTakenOver? {
        loop.withLock { $0 = .busy(since: .now) }
        writer.beginResync(at: .now())
        publishSnapshot(writer)
        var batch: [MQTTInbound] = []
        while !stopRequested.load(ordering: .acquiring), !Task.isCancelled, writer.takenOver == nil {
            loop.withLock { $0 = .waiting }
            let arrival = await inbox.take(into: &batch, timeout: writer.timeUntilNextDeadline(from: .now()))
            loop.withLock { $0 = .busy(since: .now) }
            if batch.isEmpty, inbox.isFinished { break }
            writer.handle(batch, arrival: arrival)
            publishSnapshot(writer)
        }
        if let error = client.endError, error.code == .sessionTakenOver {
            publishSnapshot(writer)
            return BridgeTakenOver(clientID: configuration.clientID, sign: "the broker said: session taken over")
        }
        if let takenOver = writer.takenOver {
            publishSnapshot(writer)
            return takenOver
        }
        writer.finish()
        publishSnapshot(writer)
        return nil
    }

    /// Shows the writer's counters to other tasks, after every batch; the metrics read them when scraped (`refreshMetrics`).
    private func publishSnapshot(_ writer: BridgeWriter) {
        var statistics = writer.currentStatistics
        statistics.viewsCoalesced = writer.outbox.coalesced
        snapshot.withLock { $0 = BridgeSnapshot(statistics: statistics) }
    }
}

/// Where the writer's loop is.
private enum LoopState {
    /// Before the loop: waiting for the broker's first answer.
    case starting
    /// Waiting for input or a deadline.
    case waiting
    /// Handling a batch (or a resync step) since then.
    case busy(since: ContinuousClock.Instant)
    /// `run()` has returned.
    case stopped
}

/// What the service shows of its writer to other tasks.
private struct BridgeSnapshot: Sendable {
    var statistics = BridgeStatistics()
}

import Metrics
import Synchronization

/// Where a state change's time goes on its way through the bridge, one sample per batch:
///
/// - `inbox`: the batch's first message arrived from the network thread → the writer took it
///   (the wait behind the writer's previous batch);
/// - `writer`: taken → every view of the batch queued (decoding, the engine, encoding and the
///   store's commit);
/// - `commit`: the store's transaction alone;
/// - `outbox`: queued → the batch's last view handed to the MQTT client (the publisher's
///   backlog and its waits for in-flight slots);
/// - `inputToBroker`: arrival → the batch's last view handed to the MQTT client, the sum.
///
/// Written by the writer and the publisher, read for `bridge/stats` and the log at shutdown.
/// The store's commit and input → broker are also the histograms of `BridgeMetrics`
/// (`presence_bridge_store_commit_seconds`, `presence_bridge_view_latency_seconds`): each
/// measurement is taken here once and goes to both.
final class PipelineTimings: Sendable {
    struct Snapshot: Sendable, Equatable {
        var inbox = DurationHistogram()
        var writer = DurationHistogram()
        var commit = DurationHistogram()
        var outbox = DurationHistogram()
        var inputToBroker = DurationHistogram()

        /// The stages by name, in the order of the pipeline.
        var stages: [(name: String, histogram: DurationHistogram)] {
            [("inbox", inbox), ("writer", writer), ("commit", commit), ("outbox", outbox), ("inputToBroker", inputToBroker)]
        }
    }

    private let state = Mutex(Snapshot())
    private let metrics: BridgeMetrics?

    init(metrics: BridgeMetrics? = nil) {
        self.metrics = metrics
    }

    /// A timed batch was queued: it waited `inbox` for the writer and took `writer` in it.
    func recordBatch(inbox: Duration, writer: Duration) {
        state.withLock { $0.inbox.record(inbox); $0.writer.record(writer) }
    }

    /// One store transaction took `duration`.
    func recordCommit(_ duration: Duration) {
        state.withLock { $0.commit.record(duration) }
        metrics?.storeCommit.record(duration: duration)
    }

    /// A timed batch's last view was handed to the MQTT client `now`: queued at `queued`, its
    /// first input arrived at `arrival`.
    func recordHandedOver(arrival: ContinuousClock.Instant, queued: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        state.withLock { $0.outbox.record(now - queued); $0.inputToBroker.record(now - arrival) }
        metrics?.viewLatency.record(duration: now - arrival)
    }

    var snapshot: Snapshot { state.withLock { $0 } }
}

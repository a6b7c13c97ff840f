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

    func record(_ update: (inout Snapshot) -> Void) { state.withLock { update(&$0) } }

    var snapshot: Snapshot { state.withLock { $0 } }
}

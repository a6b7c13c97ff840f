import Logging
import MQTT
import PresenceCore

/// The publisher: one task, a child of the service's task group, that drains the `Outbox` into
/// the broker connection in order.
enum Publisher {
    /// Drains the outbox into the connection in order, until it is closed and empty.
    ///
    /// A publish fails only while the connection is down; the resync after it decides anew what
    /// the broker lacks. A checkpoint goes out only when the outbox says its promise holds.
    /// The resync's `bridge/status` online, once handed over, makes the bridge ready
    /// (`Readiness.noteCaughtUp`); the writer is woken to refresh `bridge/stats`.
    static func run(_ outbox: Outbox, through client: MQTTClient, timings: PipelineTimings, readiness: Readiness,
                    metrics: BridgeMetrics, logger: Logger, wakeWriter: @Sendable () -> Void) async {
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
            var viewsHandled = 0
            defer { outbox.noteHandled(handled, views: viewsHandled) }
            for item in batch {
                if handled == 256 {
                    outbox.noteHandled(handled, views: viewsHandled)
                    handled = 0
                    viewsHandled = 0
                }
                handled += 1
                if case .view = item { viewsHandled += 1 }
                do throws(MQTTError) {
                    switch item {
                    case .view(let message), .message(let message):
                        try await client.publish(message)
                        outbox.noteSent(succeeded: true, connection: connection)
                    case .resyncComplete(let online, let generation, let resync):
                        try await client.publish(online)
                        outbox.noteSent(succeeded: true, connection: connection)
                        // Everything before it is handed over: say so before declaring it.
                        outbox.noteHandled(handled, views: viewsHandled)
                        handled = 0
                        viewsHandled = 0
                        let milliseconds = MonotonicInstant.now() - resync.startedAt
                        metrics.resyncDuration.recordMilliseconds(milliseconds)
                        readiness.noteCaughtUp(generation: generation, summary: ResyncSummary(
                            source: resync.source, viewsRepaired: resync.viewsRepaired, milliseconds: milliseconds))
                        wakeWriter()
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
                        timings.recordHandedOver(arrival: arrival, queued: queued, now: .now)
                    }
                } catch {
                    // Only a publish that did not reach the connection breaks a checkpoint's promise.
                    switch item {
                    case .view, .message, .resyncComplete: outbox.noteSent(succeeded: false, connection: connection)
                    default: break
                    }
                    failed(error, "\(item.verb)")
                }
            }
        }
    }
}

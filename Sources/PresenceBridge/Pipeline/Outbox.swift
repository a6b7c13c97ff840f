import MQTT
import PresenceCore
import Synchronization

/// What the publisher task does with the broker connection, in order.
enum OutboxItem: Sendable {
    /// A retained view (an empty payload deletes it), coalesced per topic while queued.
    case view(MQTTMessage)
    case message(MQTTMessage)
    /// Subscribe (waiting for the SUBACK) before anything after it is sent.
    case subscribe([String])
    case unsubscribe([String])
    /// A checkpoint marker: sent only if every item of its generation before it reached the
    /// broker on one connection (see `Outbox.mayCheckpoint`).
    case checkpoint(MQTTMessage, sequence: Int64, generation: Int)
    /// Behind the views of a timed batch: when its first input arrived and when its views were
    /// queued (`PipelineTimings`); nothing is sent.
    case timing(arrival: ContinuousClock.Instant, queued: ContinuousClock.Instant)
    /// `bridge/status` online behind the last view a resync decided: once it is handed to the
    /// connection, every view of that resync (`generation`) is, and the bridge is ready.
    case resyncComplete(MQTTMessage, generation: Int, CompletedResync)

    /// What the item does, for log lines.
    var verb: String {
        switch self {
        case .view, .message, .checkpoint, .resyncComplete: "publish"
        case .timing: "time"
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        }
    }
}

/// The publishes (and subscriptions) the single writer has decided on, drained in order by one
/// publisher task.
///
/// Views are coalesced per topic: if a view is replaced before it went out, only the newest
/// is sent (a retained view is state, so the intermediate one is worth nothing). Each pending
/// view remembers what the viewer held before it (the `replacing` digest of its first change);
/// when a chain of changes comes back to exactly that, the pending view is dropped, so that
/// coalescing never sends a view equal to the one before it. Other items are sent one by one,
/// in order. The engine never waits for the broker; the publisher waits for in-flight slots of
/// the MQTT client instead.
///
/// Pacing: `unsent` counts the items queued or taken by the publisher and not yet handed to
/// the connection (`unsentViews` the views among them: decided, not yet handed to the
/// broker); a resync that publishes in slices asks to be woken (`wakeWhenDrained`) once that
/// falls below a mark, so the outbox never holds more than about one slice.
///
/// Generations: each resync starts one (`beginGeneration`), which drops what is still queued
/// (the resync decides anew what the broker lacks). A checkpoint is a promise that the broker
/// holds every view before it, so it goes out only while its generation is current, no publish
/// of the generation failed, and the connection is the one the generation began on.
final class Outbox: Sendable {
    private struct PendingView {
        var position: Int
        /// The digest of the payload viewers held before the first pending change.
        var baseline: UInt64
    }

    private struct State {
        /// Queued items in order; nil = a view whose changes cancelled out.
        var items: [OutboxItem?] = []
        var pendingViews: [String: PendingView] = [:]
        var waiter: CheckedContinuation<[OutboxItem]?, Never>?
        var closed = false
        var coalesced = 0
        var generation = 0
        var generationFailed = false
        /// The connection (by its count of reconnects) the generation's first item went out on.
        var generationConnection: Int?
        /// The sequence of the latest checkpoint handed to the connection.
        var checkpointSent: Int64 = 0
        /// Items queued (cancelled views aside) plus those taken and not yet reported sent.
        var unsent = 0
        /// Of `unsent`, the views.
        var unsentViews = 0
        /// Wake the writer once `unsent` is at most this.
        var drainMark: Int?

        /// The queued items in order, cancelled views left out (they were uncounted when they
        /// cancelled out).
        mutating func takeItems() -> [OutboxItem] {
            let taken = items.compactMap { $0 }
            items.removeAll(keepingCapacity: true)
            // Clearing keeps the table's capacity, and costs time in proportion to it: after a
            // burst had grown it, a small batch would pay for the burst at every take.
            if pendingViews.capacity > 4 * max(taken.count, 1024) {
                pendingViews = [:]
            } else {
                pendingViews.removeAll(keepingCapacity: true)
            }
            return taken
        }
    }

    private let state = Mutex(State())
    /// Called (outside the lock) when `unsent` falls to the mark a `wakeWhenDrained` asked for.
    private let drained: @Sendable () -> Void

    init(whenDrained drained: @escaping @Sendable () -> Void = {}) {
        self.drained = drained
    }

    /// Queues a retained QoS 1 view (an empty payload deletes it) that replaces the view whose
    /// payload has the digest `replacing` (`ViewDigest.deleted` when the viewer held none).
    func enqueueView(topic: String, payload: [UInt8], digest: UInt64, replacing: UInt64) {
        let message = MQTTMessage(topic: topic, payload: payload, qos: .atLeastOnce, retain: true)
        let waiter = state.withLock { state -> CheckedContinuation<[OutboxItem]?, Never>? in
            if let pending = state.pendingViews[topic] {
                state.coalesced += 1
                let cancelled = digest == pending.baseline
                if cancelled != (state.items[pending.position] == nil) {
                    state.unsent += cancelled ? -1 : 1
                    state.unsentViews += cancelled ? -1 : 1
                }
                state.items[pending.position] = cancelled ? nil : .view(message)
                return nil
            }
            state.pendingViews[topic] = PendingView(position: state.items.count, baseline: replacing)
            state.items.append(.view(message))
            state.unsent += 1
            state.unsentViews += 1
            return Self.handOff(&state)
        }
        waiter?.resume(returning: takeAll())
    }

    /// Queues a message that is never coalesced.
    func enqueue(_ message: MQTTMessage) { enqueue(.message(message)) }

    /// Queues an item that is never coalesced.
    func enqueue(_ item: OutboxItem) {
        let waiter = state.withLock { state -> CheckedContinuation<[OutboxItem]?, Never>? in
            state.items.append(item)
            state.unsent += 1
            return Self.handOff(&state)
        }
        waiter?.resume(returning: takeAll())
    }

    /// Starts a new generation for a resync: drops everything queued; returns the generation.
    @discardableResult
    func beginGeneration() -> Int {
        state.withLock { state in
            state.unsent -= state.items.lazy.filter { $0 != nil }.count
            state.unsentViews -= state.items.lazy.filter { if case .view? = $0 { true } else { false } }.count
            state.items.removeAll(keepingCapacity: true)
            state.pendingViews.removeAll(keepingCapacity: true)
            state.drainMark = nil
            state.generation += 1
            state.generationFailed = false
            state.generationConnection = nil
            return state.generation
        }
    }

    /// The publisher's report: `count` more taken items, `views` of them views, were handed to
    /// the connection (or failed).
    func noteHandled(_ count: Int, views: Int) {
        let wake = state.withLock { state -> Bool in
            state.unsent -= count
            state.unsentViews -= views
            guard let mark = state.drainMark, state.unsent <= mark else { return false }
            state.drainMark = nil
            return true
        }
        if wake { drained() }
    }

    /// True when at most `mark` items are unsent now; otherwise false, and the outbox calls its
    /// `whenDrained` once they are.
    func wakeWhenDrained(below mark: Int) -> Bool {
        state.withLock { state in
            if state.unsent <= mark {
                state.drainMark = nil
                return true
            }
            state.drainMark = mark
            return false
        }
    }

    /// Views decided and not yet handed to the broker connection (queued, or taken by the
    /// publisher and not yet reported).
    var unsentViews: Int { state.withLock { $0.unsentViews } }

    /// The generation new items belong to.
    var generation: Int { state.withLock { $0.generation } }

    /// The publisher's report: an item went out (true) or failed (false) on `connection`.
    func noteSent(succeeded: Bool, connection: Int) {
        state.withLock { state in
            if !succeeded { state.generationFailed = true }
            if state.generationConnection == nil { state.generationConnection = connection }
            if state.generationConnection != connection { state.generationFailed = true }
        }
    }

    /// True when a checkpoint of `generation` may go out now on `connection`: the generation is
    /// current, none of its items failed, and all went out on this connection.
    func mayCheckpoint(generation: Int, connection: Int) -> Bool {
        state.withLock { state in
            generation == state.generation && !state.generationFailed
                && (state.generationConnection ?? connection) == connection
        }
    }

    /// The publisher's report: the checkpoint of `sequence` was handed to the connection.
    func noteCheckpointSent(_ sequence: Int64) {
        state.withLock { $0.checkpointSent = max($0.checkpointSent, sequence) }
    }

    /// The sequence of the latest checkpoint handed to the connection (0: none yet).
    var checkpointSent: Int64 { state.withLock { $0.checkpointSent } }

    /// The next batch, in order; nil once closed and empty. Cancelling the task closes the outbox.
    func take() async -> [OutboxItem]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> [OutboxItem]?? in
                    if !state.items.isEmpty { return .some(state.takeItems()) }
                    if state.closed { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            close()
        }
    }

    /// No more messages will come; `take` returns nil once the queue is empty.
    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<[OutboxItem]?, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: takeAll())
    }

    /// Views replaced (or cancelled out) before they were sent.
    var coalesced: Int { state.withLock { $0.coalesced } }

    private static func handOff(_ state: inout State) -> CheckedContinuation<[OutboxItem]?, Never>? {
        defer { state.waiter = nil }
        return state.waiter
    }

    private func takeAll() -> [OutboxItem]? {
        state.withLock { state in
            if state.items.isEmpty { return state.closed ? nil : [] }
            return state.takeItems()
        }
    }
}

/// A resync whose views are all queued, as the outbox carries it to the publisher.
struct CompletedResync: Sendable {
    /// "views record" or "read-back".
    var source: String
    var viewsRepaired: Int
    /// When the resync began (monotonic).
    var startedAt: MonotonicInstant
}

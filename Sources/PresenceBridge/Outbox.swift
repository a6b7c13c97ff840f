import MQTT
import Synchronization

/// The publishes the single writer has decided on, drained in order by one publisher task.
///
/// Views are coalesced per topic: if a view is replaced before it went out, only the newest
/// is sent (a retained view is state, so the intermediate one is worth nothing). Each pending
/// view remembers what the viewer held before it (the `replacing` hash of its first change);
/// when a chain of changes comes back to exactly that, the pending view is dropped, so that
/// coalescing never sends a view equal to the one before it. Other messages (errors, status,
/// stats) are sent one by one, in order. The engine never waits for the broker; the publisher
/// waits for in-flight slots of the MQTT client instead.
final class Outbox: Sendable {
    /// The hash of "no view" (an empty retained payload), for `replacing`.
    static let noView = ViewEncoder.hash([])

    private struct PendingView {
        var position: Int
        /// The hash of the payload viewers held before the first pending change.
        var baseline: Int
    }

    private struct State {
        /// Queued messages in order; nil = a view whose changes cancelled out.
        var items: [MQTTMessage?] = []
        var pendingViews: [String: PendingView] = [:]
        var waiter: CheckedContinuation<[MQTTMessage]?, Never>?
        var closed = false
        var coalesced = 0

        mutating func takeItems() -> [MQTTMessage] {
            let messages = items.compactMap { $0 }
            items.removeAll(keepingCapacity: true)
            pendingViews.removeAll(keepingCapacity: true)
            return messages
        }
    }

    private let state = Mutex(State())

    /// Queues a retained QoS 1 view (an empty payload deletes it) that replaces the view whose
    /// payload hashes to `replacing` (`Outbox.noView` when the viewer held none).
    func enqueueView(topic: String, payload: [UInt8], replacing: Int) {
        let message = MQTTMessage(topic: topic, payload: payload, qos: .atLeastOnce, retain: true)
        let waiter = state.withLock { state -> CheckedContinuation<[MQTTMessage]?, Never>? in
            if let pending = state.pendingViews[topic] {
                state.coalesced += 1
                state.items[pending.position] = ViewEncoder.hash(payload) == pending.baseline ? nil : message
                return nil
            }
            state.pendingViews[topic] = PendingView(position: state.items.count, baseline: replacing)
            state.items.append(message)
            return Self.handOff(&state)
        }
        waiter?.resume(returning: takeAll())
    }

    /// Queues a message that is never coalesced.
    func enqueue(_ message: MQTTMessage) {
        let waiter = state.withLock { state -> CheckedContinuation<[MQTTMessage]?, Never>? in
            state.items.append(message)
            return Self.handOff(&state)
        }
        waiter?.resume(returning: takeAll())
    }

    /// The next batch, in order; nil once closed and empty.
    func take() async -> [MQTTMessage]? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [MQTTMessage]?? in
                if !state.items.isEmpty { return .some(state.takeItems()) }
                if state.closed { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// No more messages will come; `take` returns nil once the queue is empty.
    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<[MQTTMessage]?, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: takeAll())
    }

    /// Views replaced (or cancelled out) before they were sent.
    var coalesced: Int { state.withLock { $0.coalesced } }

    private static func handOff(_ state: inout State) -> CheckedContinuation<[MQTTMessage]?, Never>? {
        defer { state.waiter = nil }
        return state.waiter
    }

    private func takeAll() -> [MQTTMessage]? {
        state.withLock { state in
            if state.items.isEmpty { return state.closed ? nil : [] }
            return state.takeItems()
        }
    }
}

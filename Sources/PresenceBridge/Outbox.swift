import MQTT
import Synchronization

/// The publishes the single writer has decided on, drained in order by one publisher task.
///
/// Views are coalesced per topic: if a view is replaced before it went out, only the newest
/// is sent (a retained view is state, so the intermediate one is worth nothing). Other
/// messages (errors, status, stats) are sent one by one, in order. The engine never waits for
/// the broker; the publisher waits for in-flight slots of the MQTT client instead.
final class Outbox: Sendable {
    private struct State {
        var items: [MQTTMessage] = []
        var viewSlots: [String: Int] = [:]
        var waiter: CheckedContinuation<[MQTTMessage]?, Never>?
        var closed = false
        var coalesced = 0
    }

    private let state = Mutex(State())

    /// Queues a retained QoS 1 view (an empty payload deletes it), replacing one not yet sent.
    func enqueueView(topic: String, payload: [UInt8]) {
        let message = MQTTMessage(topic: topic, payload: payload, qos: .atLeastOnce, retain: true)
        let waiter = state.withLock { state -> CheckedContinuation<[MQTTMessage]?, Never>? in
            if let slot = state.viewSlots[topic] {
                state.items[slot] = message
                state.coalesced += 1
                return nil
            }
            state.viewSlots[topic] = state.items.count
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
                if !state.items.isEmpty {
                    let items = state.items
                    state.items.removeAll(keepingCapacity: true)
                    state.viewSlots.removeAll(keepingCapacity: true)
                    return .some(items)
                }
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

    /// Messages replaced before they were sent.
    var coalesced: Int { state.withLock { $0.coalesced } }

    var depth: Int { state.withLock { $0.items.count } }

    private static func handOff(_ state: inout State) -> CheckedContinuation<[MQTTMessage]?, Never>? {
        defer { state.waiter = nil }
        return state.waiter
    }

    private func takeAll() -> [MQTTMessage]? {
        state.withLock { state in
            if state.items.isEmpty { return state.closed ? nil : [] }
            let items = state.items
            state.items.removeAll(keepingCapacity: true)
            state.viewSlots.removeAll(keepingCapacity: true)
            return items
        }
    }
}

import MQTT
import Synchronization

/// What the bridge's single writer reacts to, in arrival order.
enum BridgeEvent: Sendable {
    case message(MQTTMessage)
    case connection(MQTTConnectionEvent)
    /// A timer of the engine is due, or it is time to refresh `bridge/stats`.
    case tick
    case shutdown
}

/// The one queue into the bridge's single writer.
///
/// Producers append under a lock; the consumer takes everything queued at once, so a burst of
/// messages costs one wake-up, not one per message. Unbounded: memory, not silent loss, is the
/// bound (the broker's own `max_queued_messages` limits what can pile up upstream).
final class BridgeInbox: Sendable {
    private struct State {
        var events: [BridgeEvent] = []
        var waiter: CheckedContinuation<[BridgeEvent], Never>?
    }

    private let state = Mutex(State())

    func post(_ event: BridgeEvent) {
        let waiter = state.withLock { state -> CheckedContinuation<[BridgeEvent], Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.events.append(event)
            return nil
        }
        waiter?.resume(returning: [event])
    }

    /// Everything queued, waiting for at least one event.
    func take() async -> [BridgeEvent] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [BridgeEvent]? in
                if state.events.isEmpty {
                    state.waiter = continuation
                    return nil
                }
                defer { state.events.removeAll(keepingCapacity: true) }
                return state.events
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

import PresenceCore
import Synchronization

/// When the single writer next needs a `.tick`: the earliest of the engine's next timer,
/// the replay deadline and the next `bridge/stats` refresh.
///
/// The writer sets it after every batch; the timer task reads it at a fixed resolution and
/// posts one tick when it is due (never a second before the writer has handled the first).
final class WakeSchedule: Sendable {
    private struct State {
        var wakeAt: Timestamp?
        var tickPending = false
    }

    private let state = Mutex(State())

    func set(_ wakeAt: Timestamp?) {
        state.withLock { $0.wakeAt = wakeAt; $0.tickPending = false }
    }

    /// True once per due time: the caller posts the tick.
    func claimTick(at now: Timestamp) -> Bool {
        state.withLock { state in
            guard !state.tickPending, let wakeAt = state.wakeAt, now >= wakeAt else { return false }
            state.tickPending = true
            return true
        }
    }
}

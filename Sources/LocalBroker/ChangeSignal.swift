import Synchronization

/// Wakes the tasks that wait for something to change, without holding a thread while they wait.
///
/// Each `notify()` moves a generation counter on. The rule for a waiter: read `generation`,
/// check its condition, and if the condition does not hold yet, wait *beyond that generation*;
/// a change between the check and the wait is then never missed. Every wait ends at its
/// deadline or when its task is cancelled, whichever comes first.
final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The number of changes so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Records a change and wakes every waiter.
    func notify() {
        let woken = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Waits until `condition` gives a value (checked now and after every change); nil at
    /// `deadline`. Throws `CancellationError` when the task is cancelled.
    func wait<Value>(until deadline: ContinuousClock.Instant, for condition: () -> Value?) async throws -> Value? {
        while true {
            let seen = generation
            if let value = condition() { return value }
            try Task.checkCancellation()
            if ContinuousClock.now >= deadline { return nil }
            await wait(beyond: seen, until: deadline)
        }
    }

    /// Returns once the generation has moved past `seen`, at `deadline`, or on cancellation.
    private func wait(beyond seen: UInt64, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(beyond: seen) }
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once the generation has moved past `seen`, or at once when the task is cancelled.
    private func wait(beyond seen: UInt64) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Under the lock: a cancellation handler running meanwhile either finds the
                // waiter registered, or ran before and left the task marked cancelled.
                let resumeNow = state.withLock { state in
                    if state.generation > seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a `ChildProcess` handle shares with the task that runs its child under swift-subprocess:
/// the way to signal the child, its standard input queue and its exit status.
///
/// **The signal window.** swift-subprocess hands out an `Execution` (which signals through the
/// child's pidfd) only for the duration of the `run` body, and reaps the child only after that
/// body has returned. The body opens the window with a sender built on its `Execution` and
/// closes it before it returns; `signal(_:)` calls the sender under the same lock. So a signal
/// is sent only while the child is unreaped: it can never reach another process that reused
/// the pid.
final class ChildControl: Sendable {
    /// A line or an end of file for the child's standard input, in the order asked.
    enum InputCommand: Sendable {
        case write([UInt8])
        case close
    }

    private struct State {
        var sender: (@Sendable (Int32) -> Bool)?
        var exitStatus: Int32?
        var killRequested = false
    }

    private let state = Mutex(State())
    /// Notified when the exit status is known.
    let exit = ChangeSignal()
    /// The standard input queue, drained by the running body in order.
    let input: AsyncStream<InputCommand>
    private let inputSink: AsyncStream<InputCommand>.Continuation

    init() {
        (input, inputSink) = AsyncStream.makeStream(of: InputCommand.self)
    }

    // MARK: - The running body's side

    /// Opens the signal window (the body has started).
    func open(sender: @escaping @Sendable (Int32) -> Bool) {
        state.withLock { $0.sender = sender }
    }

    /// Closes the signal window and the input queue (the body is about to return).
    func close() {
        state.withLock { $0.sender = nil }
        inputSink.finish()
    }

    /// Records how the child ended (after swift-subprocess has reaped it) and wakes the waiters.
    ///
    /// `status` nil = `run` failed after the child started: 128 + SIGKILL if a kill was asked
    /// for (the teardown killed it), else -1.
    func finish(status: Int32?) {
        state.withLock { state in
            state.sender = nil
            state.exitStatus = status ?? (state.killRequested ? 128 + SIGKILL : -1)
        }
        inputSink.finish()
        exit.notify()
    }

    // MARK: - The handle's side

    /// The exit status once the child has exited and been reaped, nil while it runs.
    var exitStatus: Int32? { state.withLock { $0.exitStatus } }

    /// Sends `signal` if the body still runs; false when the window is closed.
    func signal(_ signal: Int32) -> Bool {
        state.withLock { state in state.sender?(signal) ?? false }
    }

    /// Remembers that SIGKILL was asked for (an exit status lost to a teardown is then 128 + 9).
    func requestKill() {
        state.withLock { $0.killRequested = true }
    }

    /// Queues `command` for the child's standard input; dropped once the child is gone.
    func enqueue(_ command: InputCommand) {
        inputSink.yield(command)
    }

    /// Waits for the exit status until `deadline`; nil then. Throws when the task is cancelled.
    func waitForExit(until deadline: ContinuousClock.Instant) async throws -> Int32? {
        try await exit.wait(until: deadline) { exitStatus }
    }
}

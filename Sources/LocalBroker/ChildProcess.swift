import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process run with swift-subprocess, its stdin writable and its stdout (and stderr)
/// captured as lines, signalled and stopped by this handle.
///
/// The rules it keeps:
/// - **Signals reach the child.** swift-subprocess starts it with an empty signal mask and
///   every signal at its default disposition (`Foundation.Process` on Linux hands down the
///   calling thread's mask, and ignored signals stay ignored across exec: a broker started from
///   an async test then never exited on SIGTERM). SIGTERM, SIGUSR1 and SIGKILL go through the
///   child's pidfd, and only while it is unreaped (see `ChildControl`).
/// - **No wait holds a thread.** The exit is noticed by swift-subprocess's own monitor thread
///   (a pidfd in epoll), the output is read through its epoll I/O; every wait here is a
///   suspension with a deadline, and ends with `CancellationError` when its task is cancelled.
/// - **The child is stopped on every path.** `terminate()` and `kill()` finish even from a
///   cancelled task; a handle released while its child runs kills it (SIGKILL); and a task that
///   is cancelled while spawning kills what it spawned.
public final class ChildProcess: Sendable {
    /// Where the child's standard output goes.
    public enum Output: Sendable {
        /// Captured line by line into `outputLines`.
        case capture
        /// Discarded: for children that print a lot, e.g. in benchmarks.
        case discard
    }

    /// The process id.
    public let pid: Int32
    /// The command line, for messages.
    public let commandLine: String
    private let control: ChildControl
    private let output: CapturedLines
    private let errors: CapturedLines
    /// Runs the child under swift-subprocess from spawn to reaping; owns it.
    private let runner: Task<Void, Never>

    private init(pid: Int32, commandLine: String, control: ChildControl, output: CapturedLines,
                 errors: CapturedLines, runner: Task<Void, Never>) {
        self.pid = pid
        self.commandLine = commandLine
        self.control = control
        self.output = output
        self.errors = errors
        self.runner = runner
    }

    deinit {
        guard control.exitStatus == nil else { return }
        control.requestKill()
        _ = control.signal(SIGKILL)
        // Also swift-subprocess's teardown (SIGKILL through the pidfd), whatever state the body is in.
        runner.cancel()
    }

    /// Starts `executable` (looked up in PATH when it has no `/`) with `arguments`, its stdout
    /// captured; returns once it runs. `environment` nil = inherit this process's environment.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) async throws -> ChildProcess {
        try await spawn(executable, arguments, environment: environment, output: .capture)
    }

    /// Starts `executable` with its stdout captured or discarded; stderr is always captured.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, output: Output
    ) async throws -> ChildProcess {
        let commandLine = ([executable] + arguments).joined(separator: " ")
        let configuration = Configuration(
            executable: executable.contains("/") ? .path(FilePath(executable)) : .name(executable),
            arguments: Arguments(arguments),
            environment: environment.map { variables in
                .custom(Dictionary(uniqueKeysWithValues: variables.compactMap { name, value in
                    Environment.Key(rawValue: name).map { ($0, value) }
                }))
            } ?? .inherit,
            platformOptions: teardownByKill())
        let control = ChildControl()
        let stdout = CapturedLines()
        let stderr = CapturedLines()
        let (started, startedSink) = AsyncThrowingStream.makeStream(of: Int32.self)
        let runner = Task.detached {
            await ChildSession(control: control, output: stdout, errors: stderr)
                .run(configuration, capturingOutput: output == .capture, started: startedSink)
        }
        do {
            var iterator = started.makeAsyncIterator()
            // nil: this task was cancelled while the child was being started.
            guard let pid = try await iterator.next() else { throw CancellationError() }
            return ChildProcess(pid: pid, commandLine: commandLine, control: control, output: stdout,
                                errors: stderr, runner: runner)
        } catch {
            runner.cancel()
            if error is CancellationError { throw error }
            throw ChildProcessError(message: "cannot start \(commandLine): \(error)")
        }
    }

    /// No graceful steps: a cancelled run (a released handle, a cancelled spawn) ends in SIGKILL.
    private static func teardownByKill() -> PlatformOptions {
        var options = PlatformOptions()
        options.teardownSequence = []
        return options
    }

    // MARK: - Standard input and output

    /// Writes `line` and a newline to the child's stdin (queued in order; dropped once it is gone).
    public func writeLine(_ line: String) {
        control.enqueue(.write(Array((line + "\n").utf8)))
    }

    /// Closes the child's stdin (it sees end of file once the lines before are written).
    public func closeInput() {
        control.enqueue(.close)
    }

    /// The lines the child wrote to stdout so far.
    public var outputLines: [String] { output.lines }

    /// The lines the child wrote to stderr so far.
    public var errorLines: [String] { errors.lines }

    /// Waits for a stdout line containing `text`; throws at the deadline, when stdout ends
    /// first, or when the task is cancelled.
    public func waitForLine(containing text: String, timeout: Duration) async throws -> String {
        enum Search { case found(String), ended }
        let search = try await output.changes.wait(until: .now + timeout) { () -> Search? in
            if let line = output.lines.first(where: { $0.contains(text) }) { return .found(line) }
            return output.ended ? .ended : nil
        }
        if case .found(let line) = search { return line }
        throw ChildProcessError(message: "no line containing '\(text)' from \(commandLine) within \(timeout)"
            + "; stdout: \(outputLines.suffix(5)); stderr: \(errorLines.suffix(5))")
    }

    // MARK: - Exit

    /// The exit status once the child has exited (and been reaped), nil while it runs.
    ///
    /// A normal exit gives its code; death by a signal gives 128 + the signal number.
    public var exitStatus: Int32? { control.exitStatus }

    /// Waits until the child exits by itself; throws at the deadline (the child keeps running)
    /// or when the task is cancelled.
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        if let status = try await control.waitForExit(until: .now + timeout) { return status }
        throw ChildProcessError(message: "\(commandLine) (pid \(pid)) did not exit within \(timeout)")
    }

    /// Sends SIGTERM, then SIGKILL if the child still runs after `grace`; returns once it is reaped.
    ///
    /// Returns the exit status (128 + signal number when killed by a signal). A stop finishes
    /// even when the calling task is cancelled (clean-up paths run in cancelled tasks): it runs
    /// in a task of its own, bounded by `grace` and SIGKILL.
    @discardableResult
    public func terminate(grace: Duration = .seconds(2)) async -> Int32 {
        await Task.detached { [self] in
            closeInput()
            if let status = exitStatus { return status }
            _ = control.signal(SIGTERM)
            if let status = try? await control.waitForExit(until: .now + grace) { return status }
            return await killAndReap()
        }.value
    }

    /// Sends `signal` (SIGUSR1, SIGHUP, …) to a child that still runs; it is not reaped.
    public func send(signal: Int32) {
        _ = control.signal(signal)
    }

    /// Sends SIGKILL (kill -9); returns once the child is reaped, even from a cancelled task.
    public func kill() async {
        _ = await Task.detached { [self] in await killAndReap() }.value
    }

    /// SIGKILL and the wait for the reaping; to be called from an uncancelled task.
    private func killAndReap() async -> Int32 {
        if let status = exitStatus { return status }
        control.requestKill()
        if !control.signal(SIGKILL) {
            // The body has returned: the child exited a moment ago (its status comes within
            // microseconds), or it closed stdout and stderr and still runs.
            if let status = try? await control.waitForExit(until: .now + .seconds(2)) { return status }
            runner.cancel()  // swift-subprocess's teardown: SIGKILL through the pidfd
        }
        while true {
            if let status = try? await control.waitForExit(until: .now + .seconds(60)) { return status }
        }
    }
}

/// A child process could not be started, or did not do what was waited for in time.
public struct ChildProcessError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// An error with `message`.
    public init(message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, with an EMPTY signal mask and default signal
/// dispositions, its stdin writable and its stdout (and stderr) captured as lines.
///
/// Why not `Foundation.Process`: on Linux it hands the calling thread's signal mask to the
/// child, so a broker started from an async test had SIGTERM blocked and never exited on
/// `terminate()`. A child is always reaped: by `terminate()`, `kill()`, `waitForExit`, or at
/// the latest (with SIGKILL) when the object is released.
public final class ChildProcess: Sendable {
    /// Where the child's standard output goes.
    public enum Output: Sendable {
        /// Captured line by line into `outputLines`.
        case capture
        /// Discarded (/dev/null): for children that print a lot, e.g. in benchmarks.
        case discard
    }

    private struct State {
        var exitStatus: Int32?
        var stdinFD: Int32
    }

    private final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        let ended = Mutex<Bool>(false)
    }

    /// The process id.
    public let pid: Int32
    /// The command line, for messages.
    public let commandLine: String
    private let state: Mutex<State>
    private let output = Lines()
    private let errors = Lines()

    private init(pid: Int32, stdinFD: Int32, commandLine: String) {
        self.pid = pid
        self.commandLine = commandLine
        state = Mutex(State(exitStatus: nil, stdinFD: stdinFD))
    }

    deinit {
        let status = state.withLock { $0.exitStatus }
        if status == nil {
            _ = sendSignal(pid, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
        }
        let fd = state.withLock { $0.stdinFD }
        if fd >= 0 { _ = close(fd) }
    }

    /// Starts `executable` (looked up in PATH when it has no `/`) with `arguments`.
    ///
    /// `environment` nil = inherit this process's environment.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> ChildProcess {
        try spawn(executable, arguments, environment: environment, output: .capture)
    }

    /// Starts `executable` with its stdout captured or discarded; stderr is always captured.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, output: Output
    ) throws -> ChildProcess {
        let stdinPipe = try makePipe()
        let stdoutPipe = try makePipe()
        let stderrPipe = try makePipe()
        defer {
            // The child's ends (and, on failure, ours) are closed here; ours are kept below.
            for fd in [stdinPipe.read, stdoutPipe.write, stderrPipe.write] { _ = close(fd) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
        if output == .capture {
            posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = [executable] + arguments
        let envp: [String] = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnvp: [UnsafeMutablePointer<CChar>?] = envp.map { strdup($0) } + [nil]
        defer {
            for pointer in cArgv { free(pointer) }
            for pointer in cEnvp { free(pointer) }
        }
        var pid: pid_t = 0
        let rc: Int32
        if executable.contains("/") {
            rc = posix_spawn(&pid, executable, &actions, &attributes, cArgv, cEnvp)
        } else {
            rc = posix_spawnp(&pid, executable, &actions, &attributes, cArgv, cEnvp)
        }
        let commandLine = argv.joined(separator: " ")
        guard rc == 0 else {
            for fd in [stdinPipe.write, stdoutPipe.read, stderrPipe.read] { _ = close(fd) }
            throw ChildProcessError(message: "cannot start \(commandLine): \(String(cString: strerror(rc)))")
        }
        let child = ChildProcess(pid: pid, stdinFD: stdinPipe.write, commandLine: commandLine)
        startReader(fd: stdoutPipe.read, into: child.output)
        startReader(fd: stderrPipe.read, into: child.errors)
        return child
    }

    /// Writes `line` and a newline to the child's stdin.
    public func writeLine(_ line: String) {
        let fd = state.withLock { $0.stdinFD }
        guard fd >= 0 else { return }
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
        bytes.removeAll()
    }

    /// Closes the child's stdin (it sees end of file).
    public func closeInput() {
        let fd: Int32 = state.withLock { state in
            let fd = state.stdinFD
            state.stdinFD = -1
            return fd
        }
        if fd >= 0 { _ = close(fd) }
    }

    /// The lines the child wrote to stdout so far.
    public var outputLines: [String] { output.lines.withLock { $0 } }

    /// The lines the child wrote to stderr so far.
    public var errorLines: [String] { errors.lines.withLock { $0 } }

    /// Waits for a stdout line containing `text`; throws at the deadline or when stdout ends first.
    public func waitForLine(containing text: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = output.lines.withLock({ $0.first { $0.contains(text) } }) { return line }
            if output.ended.withLock({ $0 }) || ContinuousClock.now >= deadline {
                throw ChildProcessError(message: "no line containing '\(text)' from \(commandLine) within \(timeout)"
                    + "; stdout: \(outputLines.suffix(5)); stderr: \(errorLines.suffix(5))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The exit status if the child has exited (reaps it), nil while it runs.
    ///
    /// A normal exit gives its code; death by a signal gives 128 + the signal number.
    public var exitStatus: Int32? {
        state.withLock { state in
            if let status = state.exitStatus { return status }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid {
                state.exitStatus = Self.decode(raw)
            } else if result < 0 && errno == ECHILD {
                state.exitStatus = -1
            }
            return state.exitStatus
        }
    }

    /// Waits until the child exits by itself; throws at the deadline (the child keeps running).
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        let pid = pid
        let commandLine = commandLine
        return try await Task.detached { [self] in
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if let status = exitStatus { return status }
                usleep(5_000)
            }
            throw ChildProcessError(message: "\(commandLine) (pid \(pid)) did not exit within \(timeout)")
        }.value
    }

    /// Sends SIGTERM, then SIGKILL if the child still runs after `grace`; always reaps it.
    ///
    /// Returns the exit status (128 + signal number when killed by a signal). Works from a
    /// cancelled task too: the waiting runs in a detached task.
    @discardableResult
    public func terminate(grace: Duration = .seconds(2)) async -> Int32 {
        await Task.detached { [self] in
            closeInput()
            if let status = exitStatus { return status }
            _ = sendSignal(pid, SIGTERM)
            let deadline = ContinuousClock.now + grace
            while ContinuousClock.now < deadline {
                if let status = exitStatus { return status }
                usleep(5_000)
            }
            return killAndReap()
        }.value
    }

    /// Sends `signal` (SIGUSR1, SIGHUP, …) to a child that still runs; it is not reaped.
    public func send(signal: Int32) {
        guard exitStatus == nil else { return }
        _ = sendSignal(pid, signal)
    }

    /// Sends SIGKILL (kill -9) and reaps the child.
    public func kill() async {
        _ = await Task.detached { [self] in killAndReap() }.value
    }

    private func killAndReap() -> Int32 {
        state.withLock { state in
            if let status = state.exitStatus { return status }
            _ = sendSignal(pid, SIGKILL)
            var raw: Int32 = 0
            var result: Int32
            repeat { result = waitpid(pid, &raw, 0) } while result < 0 && errno == EINTR
            state.exitStatus = result == pid ? Self.decode(raw) : -1
            return state.exitStatus ?? -1
        }
    }

    private static func sendSignal(_ pid: Int32, _ signal: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.kill(pid, signal)
        #else
        Darwin.kill(pid, signal)
        #endif
    }

    private func sendSignal(_ pid: Int32, _ signal: Int32) -> Int32 { Self.sendSignal(pid, signal) }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        if signal == 0 { return (raw >> 8) & 0xff }  // WIFEXITED: WEXITSTATUS
        return 128 + signal                           // WIFSIGNALED: 128 + WTERMSIG
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw ChildProcessError(message: "pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec, so that other children do not inherit our ends (pipe2 is not visible
        // from Swift's Glibc module; the window between the two calls is accepted).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Reads `fd` until end of file on its own thread, splitting lines into `lines`.
    private static func startReader(fd: Int32, into lines: Lines) {
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                var batch: [String] = []
                for byte in buffer[0..<count] {
                    if byte == UInt8(ascii: "\n") {
                        batch.append(String(decoding: pending, as: UTF8.self))
                        pending.removeAll(keepingCapacity: true)
                    } else {
                        pending.append(byte)
                    }
                }
                if !batch.isEmpty { lines.lines.withLock { $0.append(contentsOf: batch) } }
            }
            if !pending.isEmpty {
                let last = String(decoding: pending, as: UTF8.self)
                lines.lines.withLock { $0.append(last) }
            }
            _ = close(fd)
            lines.ended.withLock { $0 = true }
        }
        thread.start()
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

import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One child's life under swift-subprocess, from spawn to reaping, in the task that owns it.
///
/// The `run` body (the only place where swift-subprocess's `Execution` is valid) opens the
/// signal window, captures stderr (and stdout) to their end, feeds stdin from the handle's
/// queue, and closes the window before it returns; `run` then reaps the child and the exit
/// status is published. The body lasts as long as the child's output streams: they end when it
/// exits (or when it closes both itself, see `ChildProcess.kill()`).
struct ChildSession: Sendable {
    let control: ChildControl
    let output: CapturedLines
    let errors: CapturedLines

    /// Runs the child; `started` receives its pid once it runs, or the error that kept it from
    /// starting. Returns after the child has been reaped and its status recorded.
    func run(_ configuration: Configuration, capturingOutput: Bool,
             started: AsyncThrowingStream<Int32, any Error>.Continuation) async {
        var running = false
        // Discarded stdout has nothing to wait for.
        if !capturingOutput { output.end() }
        do {
            let status: TerminationStatus
            if capturingOutput {
                status = try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
                    running = true
                    await body(pid: execution.processIdentifier.value, started: started,
                               sender: { (try? execution.send(signal: Signal(rawValue: $0))) != nil },
                               input: execution.standardInputWriter,
                               streams: [(execution.standardOutput, output), (execution.standardError, errors)])
                }.terminationStatus
            } else {
                status = try await Subprocess.run(configuration, input: .inputWriter, output: .discarded, error: .sequence) { execution in
                    running = true
                    await body(pid: execution.processIdentifier.value, started: started,
                               sender: { (try? execution.send(signal: Signal(rawValue: $0))) != nil },
                               input: execution.standardInputWriter,
                               streams: [(execution.standardError, errors)])
                }.terminationStatus
            }
            control.finish(status: Self.code(status))
        } catch {
            if !running {
                started.finish(throwing: error)
                output.end()
                errors.end()
            }
            control.finish(status: nil)
        }
    }

    /// The body: serves the handle while the child's output streams last.
    private func body(pid: Int32, started: AsyncThrowingStream<Int32, any Error>.Continuation,
                      sender: @escaping @Sendable (Int32) -> Bool, input: StandardInputWriter,
                      streams: [(SubprocessOutputSequence, CapturedLines)]) async {
        control.open(sender: sender)
        started.yield(pid)
        started.finish()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await forward(control.input, to: input) }
            await withTaskGroup(of: Void.self) { readers in
                for (stream, lines) in streams {
                    readers.addTask { await lines.capture(stream) }
                }
            }
            // The child is gone (or closed its outputs): no more signals, no more input.
            control.close()
        }
    }

    /// Writes the queued lines to the child's stdin in order until the queue is closed.
    private func forward(_ commands: AsyncStream<ChildControl.InputCommand>, to writer: StandardInputWriter) async {
        for await command in commands {
            switch command {
            case .write(let bytes):
                // A child that closed its stdin or exited drops the line, as a closed pipe would.
                _ = try? await writer.write(bytes)
            case .close:
                try? await writer.finish()
            }
        }
    }

    /// A normal exit gives its code; death by a signal gives 128 + the signal number.
    static func code(_ status: TerminationStatus) -> Int32 {
        switch status {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}

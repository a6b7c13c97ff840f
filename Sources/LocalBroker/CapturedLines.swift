import Subprocess
import Synchronization

/// What a child wrote to one of its output streams, split into lines at `\n` (a last line
/// without one counts too), and whether the stream has ended.
final class CapturedLines: Sendable {
    private struct State {
        var lines: [String] = []
        var ended = false
    }

    private let state = Mutex(State())
    /// Notified on every batch of lines and at the end of the stream.
    let changes = ChangeSignal()

    /// The lines so far.
    var lines: [String] { state.withLock { $0.lines } }

    /// Whether the stream has ended (the child closed it, or exited).
    var ended: Bool { state.withLock { $0.ended } }

    /// Reads `stream` to its end; returns when the child has closed it (or exited). A read
    /// error ends the capture as an end of file would.
    func capture(_ stream: SubprocessOutputSequence) async {
        var pending: [UInt8] = []
        do {
            for try await buffer in stream {
                var batch: [String] = []
                buffer.withUnsafeBytes { bytes in
                    for byte in bytes {
                        if byte == UInt8(ascii: "\n") {
                            batch.append(String(decoding: pending, as: UTF8.self))
                            pending.removeAll(keepingCapacity: true)
                        } else {
                            pending.append(byte)
                        }
                    }
                }
                if !batch.isEmpty { append(batch) }
            }
        } catch {
            // The stream is over either way.
        }
        if !pending.isEmpty { append([String(decoding: pending, as: UTF8.self)]) }
        end()
    }

    /// Marks the stream ended: at its end of file, or for a stream that is not captured.
    func end() {
        state.withLock { $0.ended = true }
        changes.notify()
    }

    private func append(_ batch: [String]) {
        state.withLock { $0.lines.append(contentsOf: batch) }
        changes.notify()
    }
}

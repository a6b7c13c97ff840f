import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log lines go: stderr, or a collector for tests. Each line is written with its newline
/// in one `write(2)` under a lock, so lines of concurrent tasks never interleave.
public struct LogLineOutput: Sendable {
    private let sink: @Sendable (String) -> Void

    /// Lines to `sink` (a test's collector).
    public init(_ sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    func write(line: String) { sink(line) }

    /// File descriptor 2. A write to a pipe that is full blocks the logging thread, as with
    /// swift-log's own stream handler; journald and a terminal read promptly.
    public static let standardError = LogLineOutput { line in
        standardErrorLock.withLock { _ in writeAll(Array((line + "\n").utf8), to: 2) }
    }
}

private let standardErrorLock = Mutex(())

/// Writes every byte to `fd`, retrying after signals; gives up on an error (a closed stderr).
private func writeAll(_ bytes: [UInt8], to fd: Int32) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { buffer in
            write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
        }
        if written < 0, errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
}

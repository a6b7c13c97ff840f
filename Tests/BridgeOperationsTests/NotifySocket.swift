import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A stand-in for systemd's notify socket: a unix datagram socket bound to a temporary path,
/// read on a thread of its own (blocking receives with a 100 ms timeout, never on the
/// cooperative pool), keeping every datagram with the time it arrived.
final class NotifySocket: Sendable {
    let path: String
    private let fd: Int32
    private let received = Mutex<[(at: ContinuousClock.Instant, text: String)]>([])
    private let stopped = Atomic<Bool>(false)

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.utf8.enumerated() { bytes[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in readUntilStopped() }
        thread.start()
    }

    private func readUntilStopped() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .acquiring) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            received.withLock { $0.append((.now, text)) }
        }
        close(fd)
        unlink(path)
    }

    /// Every datagram so far, in order of arrival.
    var messages: [(at: ContinuousClock.Instant, text: String)] { received.withLock { $0 } }

    /// The datagrams so far that hold the line `line`.
    func datagrams(with line: String) -> [(at: ContinuousClock.Instant, text: String)] {
        messages.filter { $0.text.split(separator: "\n").contains(Substring(line)) }
    }

    /// Stops reading (within 100 ms) and removes the socket file.
    func stop() { stopped.store(true, ordering: .releasing) }
}

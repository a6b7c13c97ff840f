import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A viewer that connects, subscribes to its views and never reads a byte again: its socket's
/// receive buffer (made small) fills, then the broker's send buffer, then the broker's queue for
/// it. Hand-written MQTT 3.1.1 packets over a blocking socket, made on a dispatch queue (never on
/// the cooperative pool); `close()` ends it.
final class StalledViewer: Sendable {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port` as `user`/`password` and subscribes to `filter` (QoS 1).
    static func connect(port: Int, user: String, password: String, filter: String) async throws -> StalledViewer {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try StalledViewer(port: port, user: user, password: password, filter: filter) })
            }
        }
    }

    private init(port: Int, user: String, password: String, filter: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StalledViewerError("socket: \(errno)") }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { Glibc.close(fd); throw StalledViewerError("connect: \(errno)") }
        // CONNECT: MQTT 3.1.1, clean session, username and password, keepalive 0 (never dropped for silence).
        var connect: [UInt8] = Self.string("MQTT") + [4, 0xC2, 0, 0]
        connect += Self.string("\(user)-stalled") + Self.string(user) + Self.string(password)
        try send(Self.packet(0x10, connect))
        var connack = [UInt8](repeating: 0, count: 4)
        guard recv(fd, &connack, 4, Int32(MSG_WAITALL)) == 4, connack[0] == 0x20, connack[3] == 0 else {
            Glibc.close(fd)
            throw StalledViewerError("no CONNACK accepting \(user): \(connack)")
        }
        try send(Self.packet(0x82, [0, 1] + Self.string(filter) + [1]))
    }

    /// Bytes the broker sent that nobody read (FIONREAD): the receive buffer filling.
    var unreadBytes: Int {
        var count: Int32 = 0
        _ = ioctl(fd, UInt(FIONREAD), &count)
        return Int(count)
    }

    func close() { Glibc.close(fd) }

    private func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw StalledViewerError("send: \(errno)") }
    }

    private static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }

    /// A packet: the fixed header's first byte, the remaining length (variable-length), the body.
    private static func packet(_ first: UInt8, _ body: [UInt8]) -> [UInt8] {
        var length = body.count
        var header = [first]
        repeat {
            var byte = UInt8(length % 128)
            length /= 128
            if length > 0 { byte |= 0x80 }
            header.append(byte)
        } while length > 0
        return header + body
    }
}

struct StalledViewerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

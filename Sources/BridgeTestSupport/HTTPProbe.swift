import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 GET against 127.0.0.1, for tests of the operators' listener: one request
/// per connection (`Connection: close`), read to the end. The blocking socket work runs on a
/// dispatch queue, never on the cooperative pool; every socket call is bounded by a 5 s timeout,
/// and cancelling the task shuts the socket down, which ends the wait at once.
public enum HTTPProbe {
    /// An answer: the status code and the body.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// GETs (or sends `method` to) `path` on 127.0.0.1:`port`; nil when nothing answers
    /// (refused, reset, timed out).
    public static func get(port: Int, _ path: String, method: String = "GET") async -> Answer? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        // The descriptor while open (-1 once closed), so a late cancellation never touches a
        // number the system has handed out again.
        let open = OpenSocket(fd)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let answer = getBlocking(fd: fd, port: port, path, method: method)
                    open.close()
                    continuation.resume(returning: answer)
                }
            }
        } onCancel: {
            open.shutDown()
        }
    }

    private final class OpenSocket: Sendable {
        private let fd: Mutex<Int32>
        init(_ fd: Int32) { self.fd = Mutex(fd) }
        func close() { fd.withLock { fd in _ = Glibc.close(fd); fd = -1 } }
        func shutDown() { fd.withLock { fd in if fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) } } }
    }

    private static func getBlocking(fd: Int32, port: Int, _ path: String, method: String) -> Answer? {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return nil }
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return parse(response)
    }

    /// Status line, headers, and a body of `Content-Length` bytes (or to the end).
    private static func parse(_ bytes: [UInt8]) -> Answer? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<headEnd.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[headEnd.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init) { body = String(decoding: Array(body.utf8.prefix(length)), as: UTF8.self) }
        return Answer(status: status, headers: headers, body: body)
    }
}

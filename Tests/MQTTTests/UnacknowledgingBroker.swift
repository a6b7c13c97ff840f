import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that takes MQTT 5 clients one connection after another: it
/// answers each CONNECT with a CONNACK, then keeps every byte the client sends and acknowledges
/// nothing, until `dropConnection()` closes it (the client sees a lost connection). What the
/// broker of a test of "what is sent again after a reconnect" needs and a real broker cannot be
/// made to do on cue: hold publishes unacknowledged, then lose the connection.
///
/// Descriptors: the accepting thread alone closes the listener and each connection, under the
/// record's lock, and marks them closed there; `deinit` and `dropConnection()` only shut down
/// what is still open, under the same lock. A descriptor closed elsewhere could be reused by the
/// next test's broker or client while this thread still read or accepted on its number (and so
/// take that broker's connections), or be shut down after its number was reused.
final class UnacknowledgingBroker: Sendable {
    let port: Int
    private struct Descriptors {
        /// The bytes each connection received, in order of connection.
        var connections: [[UInt8]] = []
        /// The latest connection's socket and the listener; -1 once closed.
        var socket: Int32 = -1
        var listener: Int32 = -1
    }
    /// Shared with the accepting thread, which must not keep `self` alive.
    private final class Record: Sendable {
        let state = Mutex(Descriptors())
        func withLock<R>(_ body: (inout Descriptors) -> R) -> R { state.withLock { body(&$0) } }
    }
    private let record = Record()

    init() throws {
        let bound = try LoopbackListener(backlog: 4)
        let listener = bound.descriptor
        port = bound.port
        let record = self.record
        record.withLock { $0.listener = listener }
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    record.withLock { record in  // shut down by deinit (or broken): done
                        record.listener = -1
                        close(listener)
                    }
                    return
                }
                let index = record.withLock { record in
                    record.connections.append([])
                    record.socket = client
                    return record.connections.count - 1
                }
                var buffer = [UInt8](repeating: 0, count: 65536)
                var answered = false
                while true {
                    let count = read(client, &buffer, buffer.count)
                    guard count > 0 else { break }
                    record.withLock { $0.connections[index] += buffer[0..<count] }
                    if !answered {  // the CONNECT came first: accept it
                        answered = true
                        let connack: [UInt8] = [0x20, 0x03, 0x00, 0x00, 0x00]
                        _ = write(client, connack, connack.count)
                    }
                }
                record.withLock { record in
                    if record.socket == client { record.socket = -1 }
                    close(client)
                }
            }
        }
    }

    /// The bytes connection `index` (0 first) has received so far; nil before it connected.
    func received(onConnection index: Int) -> [UInt8]? {
        record.withLock { $0.connections.indices.contains(index) ? $0.connections[index] : nil }
    }

    /// True once connection `index` has received `text` (a payload, a topic).
    func connection(_ index: Int, received text: String) -> Bool {
        guard let bytes = received(onConnection: index) else { return false }
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Closes the latest connection without a word, as a lost network would.
    func dropConnection() {
        record.withLock { record in
            if record.socket >= 0 { shutdown(record.socket, Int32(SHUT_RDWR)) }
        }
    }

    deinit {
        // The listener first, so that no new connection comes in; the thread closes both.
        record.withLock { record in
            if record.listener >= 0 { shutdown(record.listener, Int32(SHUT_RDWR)) }
        }
        dropConnection()
    }
}

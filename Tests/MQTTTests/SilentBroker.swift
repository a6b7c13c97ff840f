import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that accepts one MQTT 5 client, answers its CONNECT with a
/// CONNACK and then reads everything and answers nothing: a broker that stopped acknowledging,
/// for tests of waits that only a cancellation can end.
final class SilentBroker: Sendable {
    let port: Int
    /// The listener until the accepting thread closed it (-1 then); `deinit` only shuts down
    /// what is still open, under the same lock (see `LoopbackListener`).
    /// Shared with the accepting thread, which must not keep `self` alive.
    private final class Listener: Sendable {
        let descriptor: Mutex<Int32>
        init(_ descriptor: Int32) { self.descriptor = Mutex(descriptor) }
    }
    private let listener: Listener

    init() throws {
        let bound = try LoopbackListener(backlog: 1)
        port = bound.port
        let listener = Listener(bound.descriptor)
        self.listener = listener
        Thread.detachNewThread {
            let client = accept(bound.descriptor, nil, nil)
            listener.descriptor.withLock { descriptor in
                descriptor = -1
                close(bound.descriptor)
            }
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = read(client, &buffer, buffer.count)  // the CONNECT
            let connack: [UInt8] = [0x20, 0x03, 0x00, 0x00, 0x00]
            _ = write(client, connack, connack.count)
            while read(client, &buffer, buffer.count) > 0 {}
            close(client)
        }
    }

    deinit {
        listener.descriptor.withLock { descriptor in
            if descriptor >= 0 { shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }
}

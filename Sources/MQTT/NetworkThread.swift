import Foundation

/// A joinable POSIX thread that runs one closure: the network thread of a `Connection`.
///
/// Blocking libmosquitto calls (`mosquitto_connect*`, `mosquitto_loop`) run here and never on the
/// cooperative thread pool (a blocking loop there froze the pool on 2 cores).
/// `@unchecked Sendable`: `pthread_t` is a plain thread id; `Connection` makes sure exactly one
/// party joins or detaches it (it is taken out of the state under the state lock).
struct NetworkThread: @unchecked Sendable {
    private let id: pthread_t

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private init(id: pthread_t) { self.id = id }

    /// Starts a thread named `name` (at most 15 bytes show on Linux) running `body`.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Result<NetworkThread, MQTTError> {
        let context = Unmanaged.passRetained(Body {
            Thread.current.name = String(name.prefix(15))
            body()
        }).toOpaque()
        #if canImport(Glibc)
        var id = pthread_t()
        let rc = pthread_create(&id, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Body>.fromOpaque(argument).takeRetainedValue().run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return .failure(MQTTError(code: .system, message: "cannot start the network thread: \(String(cString: strerror(rc)))", errno: rc))
        }
        return .success(NetworkThread(id: id))
        #else
        var id: pthread_t?
        let rc = pthread_create(&id, nil, { argument in
            Unmanaged<Body>.fromOpaque(argument).takeRetainedValue().run()
            return nil
        }, context)
        guard rc == 0, let id else {
            Unmanaged<Body>.fromOpaque(context).release()
            return .failure(MQTTError(code: .system, message: "cannot start the network thread: \(String(cString: strerror(rc)))", errno: rc))
        }
        return .success(NetworkThread(id: id))
        #endif
    }

    /// Waits until the thread has exited (it must be finishing: only called after it signalled its end).
    func join() { _ = pthread_join(id, nil) }

    /// Lets the thread release its resources by itself when it exits.
    func detach() { _ = pthread_detach(id) }

    /// true when called on this thread.
    var isCurrent: Bool { pthread_equal(id, pthread_self()) != 0 }
}

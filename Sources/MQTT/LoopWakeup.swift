import CMosquitto
#if canImport(Glibc)
import Glibc
#endif

/// Wakes the network thread's `poll()` at once when a task has queued a packet (publish,
/// subscribe, unsubscribe) or asked the connection to stop or drop: libmosquitto's own wake-up
/// (a socket pair it writes to while queueing) is private to its `select()` loop, which this
/// client does not run (`select()` cannot watch a descriptor numbered 1024 or more).
///
/// An eventfd: `signal()` adds one and never blocks (at worst the counter is already non-zero
/// and the thread already due to wake), `drain()` resets it. Reads and writes of an eventfd are
/// safe from any thread; the descriptor is closed when the object goes.
final class LoopWakeup: Sendable {
    /// The eventfd, or -1 if none could be made (`Connection` then refuses to connect).
    let descriptor: Int32

    init() {
        descriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    func signal() {
        var one: UInt64 = 1
        _ = write(descriptor, &one, MemoryLayout<UInt64>.size)
    }

    func drain() {
        var count: UInt64 = 0
        _ = read(descriptor, &count, MemoryLayout<UInt64>.size)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The load benchmark's clock: monotonic microseconds, cheap enough to read per message.
///
/// Every time stamp of one run comes from this clock in this process, so a time embedded in a
/// payload by the generator and read back by the collector is directly comparable.
enum BenchClock {
    /// Microseconds of the monotonic clock (an arbitrary origin, never goes backwards).
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1_000
    }

    /// Seconds between two readings of `now()`.
    static func seconds(_ from: UInt64, _ to: UInt64) -> Double {
        to > from ? Double(to - from) / 1e6 : 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PresenceCore

extension Timestamp {
    /// The bridge's wall clock (CLOCK_REALTIME): the only clock last-seen times come from
    /// (device clocks are never trusted), and `startedAt`. Never a deadline: it may be stepped.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}

extension MonotonicInstant {
    /// The bridge's monotonic clock (CLOCK_MONOTONIC): every deadline and duration. A step of
    /// the wall clock does not move it.
    public static func now() -> MonotonicInstant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicInstant(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}

extension ClockReading {
    /// Both of the bridge's clocks, read now.
    public static func now() -> ClockReading {
        ClockReading(instant: .now(), wall: .now())
    }
}

/// A reading of a monotonic clock, in milliseconds from an arbitrary origin: what every
/// deadline (liveness, offline grace, activity leases, the replay's timeout) is measured on.
///
/// It never jumps when the wall clock is stepped (NTP, an operator, a VM resumed), so a step
/// can neither send everyone offline at once nor freeze a lease. It is never shown to anyone:
/// what people read is a `Timestamp`.
public struct MonotonicInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Milliseconds from the clock's origin (the machine's boot, for the bridge's clock).
    public var milliseconds: Int64

    /// The instant `milliseconds` ms after the clock's origin.
    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// The instant `rhs` milliseconds after `lhs` (saturating, never traps).
    public static func + (lhs: MonotonicInstant, rhs: Milliseconds) -> MonotonicInstant {
        MonotonicInstant(milliseconds: lhs.milliseconds.addingSaturating(rhs))
    }

    /// The milliseconds from `rhs` to `lhs` (negative when `lhs` is earlier; saturating).
    public static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Milliseconds {
        lhs.milliseconds.addingSaturating(0 &- rhs.milliseconds)
    }

    /// Earlier instants first.
    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    public var description: String { "\(milliseconds) ms (monotonic)" }
}

/// The bridge's two clocks read at one moment: the monotonic one for deadlines, the wall one
/// for the last-seen times people read.
public struct ClockReading: Sendable, Equatable {
    /// For deadlines.
    public var instant: MonotonicInstant
    /// For stamps (`lastSeen`); the engine never lets a stamp go below one it already gave or
    /// knows, whatever this says (see `PresenceEngine.stamp(_:)`).
    public var wall: Timestamp

    public init(instant: MonotonicInstant, wall: Timestamp) {
        self.instant = instant
        self.wall = wall
    }
}

/// A duration in milliseconds.
public typealias Milliseconds = Int64

/// A wall-clock instant by the bridge's clock, in milliseconds since the Unix epoch: what
/// people read (`lastSeen`, `startedAt`). Never a deadline: deadlines are `MonotonicInstant`s.
///
/// The engine never reads a clock: every time comes in from its caller (`ClockReading`).
public struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    /// The instant `millisecondsSinceEpoch` ms after the Unix epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The instant `rhs` milliseconds after `lhs` (saturating, never traps).
    public static func + (lhs: Timestamp, rhs: Milliseconds) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lhs.millisecondsSinceEpoch.addingSaturating(rhs))
    }

    /// The instant `rhs` milliseconds before `lhs` (saturating, never traps).
    public static func - (lhs: Timestamp, rhs: Milliseconds) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lhs.millisecondsSinceEpoch.addingSaturating(0 &- rhs))
    }

    /// The milliseconds from `rhs` to `lhs` (negative when `lhs` is earlier; saturating).
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Milliseconds {
        lhs.millisecondsSinceEpoch.addingSaturating(0 &- rhs.millisecondsSinceEpoch)
    }

    /// Earlier instants first.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// The instant as ISO 8601 UTC with milliseconds (`iso8601`), for logs and test failures.
    public var description: String { iso8601 }
}

extension Int64 {
    /// `self + other`, clamped to the representable range instead of trapping.
    func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

/// A duration in milliseconds.
public typealias Milliseconds = Int64

/// A wall-clock instant by the bridge's clock, in milliseconds since the Unix epoch.
///
/// The engine never reads a clock: every time comes in as a `Timestamp` from its caller.
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

    /// ISO 8601 in UTC with milliseconds: `2026-11-28T23:40:00.120Z` (internal: the bridge owns wire formats).
    var isoText: String {
        let ms = millisecondsSinceEpoch
        let dayLength: Int64 = 86_400_000
        let days = ms >= 0 ? ms / dayLength : (ms - dayLength + 1) / dayLength
        let inDay = ms - days * dayLength
        let date = CivilDate(daysSinceEpoch: days)
        let hours = inDay / 3_600_000
        let minutes = inDay / 60_000 % 60
        let seconds = inDay / 1000 % 60
        let millis = inDay % 1000
        return "\(date.text)T\(Self.pad(hours, 2)):\(Self.pad(minutes, 2)):\(Self.pad(seconds, 2)).\(Self.pad(millis, 3))Z"
    }

    /// The instant as ISO 8601 UTC with milliseconds, for logs and test failures.
    public var description: String { isoText }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension Int64 {
    /// `self + other`, clamped to the representable range instead of trapping.
    func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

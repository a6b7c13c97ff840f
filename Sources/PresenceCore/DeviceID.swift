/// A device's id within its user (`in/{user}/{device}/…`).
///
/// Same rule as ``UserID``: 1 to 64 characters of `A-Z a-z 0-9 . _ - @`, a letter or digit first.
public struct DeviceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The id's text, already validated.
    public let rawValue: String

    /// Validates `text`; nil unless it follows the identifier rule.
    public init?(_ text: some StringProtocol) {
        guard Identifier.isValid(text) else { return nil }
        rawValue = String(text)
    }

    /// The id's text.
    public var description: String { rawValue }

    /// Hashes the id's bytes in one call (ids are short ASCII; cheaper than hashing a `String`).
    public func hash(into hasher: inout Hasher) {
        var text = rawValue
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Ids are equal when their texts are (byte-wise: ids are ASCII).
    public static func == (lhs: DeviceID, rhs: DeviceID) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Orders ids by their text; views list devices in this order.
    public static func < (lhs: DeviceID, rhs: DeviceID) -> Bool { lhs.rawValue < rhs.rawValue }
}

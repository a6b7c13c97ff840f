/// An input refused whole, by the wire decoder, the engine or the bridge: the previous state
/// stays in force, the user is told on `err/{user}` and the counter of `code` goes up.
///
/// The message speaks only of the input itself, never of another user's data.
public struct InputRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why an input was refused; each code has its own counter in `bridge/stats`.
    ///
    /// A struct with static members rather than an enum, so that a new code is not a breaking
    /// change for a caller that switches over the codes (it keeps a `default:`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as it appears in `bridge/stats`, e.g. `invalid-json`.
        public let rawValue: String

        /// A code; use the static members, or a new one of the same kebab-case shape.
        public init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The topic is not an input topic, or names no known input.
        public static let unknownTopic = Code("unknown-topic")
        /// A user or device id (in the topic or in a list) breaks the id rule.
        public static let invalidID = Code("invalid-id")
        /// The payload is over 64 KiB.
        public static let payloadTooLarge = Code("payload-too-large")
        /// The payload is not JSON (RFC 8259), or repeats a key.
        public static let invalidJSON = Code("invalid-json")
        /// A field has the wrong type, an unknown value or a value over its limit.
        public static let invalidField = Code("invalid-field")
        /// A list (contacts, blocked, watch, an activity's `to`) is over its limit.
        public static let listTooLong = Code("list-too-long")
        /// A 17th device that is not offline.
        public static let tooManyDevices = Code("too-many-devices")
        /// The user sent more inputs a second than the bridge's rate limit.
        public static let rateLimited = Code("rate-limited")
        /// A shard of a federation got an input of a user homed at another broker.
        public static let wrongHome = Code("wrong-home")

        /// The codes this version can produce, in the order `bridge/stats` lists them.
        public static let known: [Code] = [
            .unknownTopic, .invalidID, .payloadTooLarge, .invalidJSON, .invalidField, .listTooLong,
            .tooManyDevices, .rateLimited, .wrongHome,
        ]

        /// The raw value.
        public var description: String { rawValue }
    }

    /// Why the input was refused.
    public var code: Code
    /// Human text for `err/{user}`.
    public var message: String
    /// The user to tell, when the input's topic names a valid one.
    public var user: UserID?

    /// A rejection of an input of `user` (nil when there is nobody to tell).
    public init(_ code: Code, _ message: String, user: UserID?) {
        self.code = code
        self.message = message
        self.user = user
    }

    /// A device that would be one too many for its user.
    static func tooManyDevices(_ device: DeviceID, of user: UserID, limit: Int) -> InputRejection {
        InputRejection(.tooManyDevices, "user already has \(limit) devices; device '\(device.rawValue)' rejected", user: user)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}

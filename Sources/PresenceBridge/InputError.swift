import PresenceCore

/// A rejected input: what goes to `err/{user}` and which counter goes up.
///
/// The message speaks only of the input itself, never of another user's data.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why inputs get rejected; each reason has its own counter in `bridge/stats`.
    public enum Reason: String, Sendable, CaseIterable {
        case unknownTopic = "unknown-topic"
        case invalidID = "invalid-id"
        case payloadTooLarge = "payload-too-large"
        case invalidJSON = "invalid-json"
        case invalidField = "invalid-field"
        case listTooLong = "list-too-long"
        case tooManyDevices = "too-many-devices"
        case rateLimited = "rate-limited"
    }

    public var reason: Reason
    public var message: String
    /// The user to tell, when the topic names a valid one.
    public var user: UserID?

    public init(_ reason: Reason, _ message: String, user: UserID?) {
        self.reason = reason
        self.message = message
        self.user = user
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}

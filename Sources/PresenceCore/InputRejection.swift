/// An input the engine refused whole; the previous state stays in force.
///
/// The message names only the sender's own data, so it can go to `err/{user}`.
public struct InputRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// A short machine-friendly code, e.g. `too-many-devices`.
    public var reason: String
    /// Human text.
    public var message: String

    /// A rejection.
    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }

    /// A device that would be one too many for its user.
    static func tooManyDevices(_ device: DeviceID, limit: Int) -> InputRejection {
        InputRejection(
            reason: "too-many-devices",
            message: "user already has \(limit) devices; device '\(device.rawValue)' rejected"
        )
    }

    /// `reason: message`.
    public var description: String { "\(reason): \(message)" }
}

import PresenceCore

/// The topics one user's client uses under a prefix (docs/PROTOCOL.md): its inputs under
/// `{prefix}/in/{user}/…`, its views under `{prefix}/out/{user}/+`, its errors on `{prefix}/err/{user}`.
struct PresenceTopics: Sendable {
    /// The prefix without a trailing slash.
    let prefix: String
    /// The user whose topics these are.
    let user: UserID

    init(prefix: String, user: UserID) {
        var trimmed = Substring(prefix)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        self.prefix = String(trimmed)
        self.user = user
    }

    /// `{prefix}/in/{user}/{device}/state`: retained, QoS 1; also the will's topic.
    func state(_ device: DeviceID) -> String { "\(prefix)/in/\(user.rawValue)/\(device.rawValue)/state" }
    /// `{prefix}/in/{user}/{device}/heartbeat`: QoS 0, not retained.
    func heartbeat(_ device: DeviceID) -> String { "\(prefix)/in/\(user.rawValue)/\(device.rawValue)/heartbeat" }
    /// `{prefix}/in/{user}/{device}/activity`: QoS 0, not retained.
    func activity(_ device: DeviceID) -> String { "\(prefix)/in/\(user.rawValue)/\(device.rawValue)/activity" }
    /// `{prefix}/in/{user}/settings|contacts|blocked|watch`: retained, QoS 1.
    func userInput(_ name: String) -> String { "\(prefix)/in/\(user.rawValue)/\(name)" }
    /// The one subscription that carries every view of the user.
    var viewFilter: String { "\(prefix)/out/\(user.rawValue)/+" }
    /// The user's own retained user-level inputs, read back (settings, contacts, blocked, watch).
    var ownInputFilter: String { "\(prefix)/in/\(user.rawValue)/+" }
    /// true for `{prefix}/in/{user}/{name}` (one level: settings or a list).
    func isOwnUserInput(_ topic: String) -> Bool {
        let head = "\(prefix)/in/\(user.rawValue)/"
        return topic.hasPrefix(head) && !topic.dropFirst(head.count).contains("/")
    }
    /// The user's error topic.
    var errorTopic: String { "\(prefix)/err/\(user.rawValue)" }

    /// The target of a view topic `{prefix}/out/{user}/{target}`, nil for any other topic
    /// (or a target that is not a valid id).
    func viewTarget(_ topic: String) -> UserID? {
        let head = "\(prefix)/out/\(user.rawValue)/"
        guard topic.hasPrefix(head) else { return nil }
        return UserID(topic.dropFirst(head.count))
    }
}

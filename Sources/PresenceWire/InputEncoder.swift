import PresenceCore

/// The payloads of inputs as the contract writes them: what a device or a user publishes.
///
/// Each payload decodes (`InputDecoder`) to the value it was built from: `encode(_:)` followed
/// by `InputDecoder.decode(topic:payload:)` gives the input back. Keys come in the contract's
/// order and absent values are left out; text is escaped as JSON requires.
public struct InputEncoder: Sendable {
    /// The topics inputs are published on.
    public var topics: TopicLayout

    /// An encoder for the inputs under `topics`.
    public init(topics: TopicLayout) {
        self.topics = topics
    }

    /// The topic and payload of any input.
    public func encode(_ input: PresenceInput) -> (topic: String, payload: [UInt8]) {
        switch input {
        case .deviceState(let user, let device, let state):
            (topics.deviceInput(.state, user: user, device: device), Self.state(state))
        case .heartbeat(let user, let device, let session):
            (topics.deviceInput(.heartbeat, user: user, device: device), Self.heartbeat(session: session))
        case .activity(let user, let device, let activity):
            (topics.deviceInput(.activity, user: user, device: device), Self.activity(activity))
        case .settings(let user, let update):
            (topics.userInput(.settings, user: user), Self.settings(update))
        case .contacts(let user, let users):
            (topics.userInput(.contacts, user: user), Self.userList(users))
        case .blocked(let user, let users):
            (topics.userInput(.blocked, user: user), Self.userList(users))
        case .watch(let user, let users):
            (topics.userInput(.watch, user: user), Self.userList(users))
        }
    }

    /// `{"status":"online","session":"k3f9","platform":"mobile"}`; a lost state (the will)
    /// adds `"reason":"lost"`.
    public static func state(_ state: DeviceState) -> [UInt8] {
        var json = JSONWriter(capacity: 96)
        json.beginObject()
        json.member("status", state.status.rawValue)
        if let session = state.session { json.member("session", session) }
        if let platform = state.platform { json.member("platform", platform) }
        if state.isLost { json.member("reason", "lost") }
        json.endObject()
        return json.bytes
    }

    /// `{"session":"k3f9"}`, or empty without a session.
    public static func heartbeat(session: String?) -> [UInt8] {
        guard let session else { return [] }
        var json = JSONWriter(capacity: 32)
        json.beginObject()
        json.member("session", session)
        json.endObject()
        return json.bytes
    }

    /// `{"type":"typing","conversationId":"c1","to":["bob"],"ttl":3}`; nil = `{"type":"idle"}`.
    ///
    /// The lease is written in seconds (fractions for milliseconds; a negative lease as 0);
    /// without one the bridge's default applies.
    public static func activity(_ activity: Activity?) -> [UInt8] {
        var json = JSONWriter(capacity: 96)
        json.beginObject()
        guard let activity else {
            json.member("type", ActivityKind.idleType)
            json.endObject()
            return json.bytes
        }
        json.member("type", activity.kind.rawValue)
        if let detail = activity.detail { json.member(activity.kind.detailKey, detail) }
        if let audience = activity.audience {
            json.key("to")
            json.userIDs(audience)
        }
        if let ttl = activity.ttlMilliseconds {
            json.key("ttl")
            json.number(Double(max(ttl, 0)) / 1000)
        }
        json.endObject()
        return json.bytes
    }

    /// `{"showOnlineStatus":"everyone",…}` with the keys the update sets (`{}` for none).
    public static func settings(_ update: PrivacySettingsUpdate) -> [UInt8] {
        var json = JSONWriter(capacity: 96)
        json.beginObject()
        if let value = update.showOnlineStatus { json.member("showOnlineStatus", value.rawValue) }
        if let value = update.showLastSeen { json.member("showLastSeen", value.rawValue) }
        if let value = update.showActivity { json.member("showActivity", value.rawValue) }
        json.endObject()
        return json.bytes
    }

    /// `["bob","carol"]`: contacts, blocked or watch.
    public static func userList(_ users: [UserID]) -> [UInt8] {
        var json = JSONWriter(capacity: 2 + users.count * 12)
        json.userIDs(users)
        return json.bytes
    }
}

extension JSONWriter {
    /// `["bob","carol"]`.
    mutating func userIDs(_ users: [UserID]) {
        beginArray()
        for user in users { string(user.rawValue) }
        endArray()
    }
}

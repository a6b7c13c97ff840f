import PresenceCore

/// The topics of one user's client (`TopicLayout.topics(of:)`): its inputs under
/// `{prefix}/in/{user}/…`, its views under `{prefix}/out/{user}/+`, its errors on
/// `{prefix}/err/{user}`. Every topic comes from the layout; nothing is spelled here.
public struct UserTopics: Sendable, Equatable {
    /// The layout the topics come from.
    public let layout: TopicLayout
    /// The user whose topics these are.
    public let user: UserID

    /// The topics of `user` under `layout`.
    public init(layout: TopicLayout, user: UserID) {
        self.layout = layout
        self.user = user
    }

    /// `{prefix}/in/{user}/{device}/state`: retained, QoS 1; also the will's topic.
    public func state(_ device: DeviceID) -> String { layout.deviceInput(.state, user: user, device: device) }
    /// `{prefix}/in/{user}/{device}/heartbeat`: QoS 0, not retained.
    public func heartbeat(_ device: DeviceID) -> String { layout.deviceInput(.heartbeat, user: user, device: device) }
    /// `{prefix}/in/{user}/{device}/activity`: QoS 0, not retained.
    public func activity(_ device: DeviceID) -> String { layout.deviceInput(.activity, user: user, device: device) }
    /// `{prefix}/in/{user}/settings|contacts|blocked|watch`: retained, QoS 1.
    public func userInput(_ kind: UserInputKind) -> String { layout.userInput(kind, user: user) }
    /// The one subscription that carries every view of the user.
    public var viewFilter: String { layout.viewFilter(of: user) }
    /// The user's own retained settings and lists, read back.
    public var ownInputFilter: String { layout.userInputFilter(of: user) }
    /// True for one of the user's own settings or lists.
    public func isOwnUserInput(_ topic: String) -> Bool { layout.isUserInput(topic, of: user) }
    /// The user's error topic.
    public var errorTopic: String { layout.errorTopic(user) }
    /// The target of one of the user's view topics; nil for any other topic.
    public func viewTarget(_ topic: String) -> UserID? { layout.viewTarget(topic, of: user) }
}

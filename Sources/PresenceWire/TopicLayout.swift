import PresenceCore

/// Every topic of the protocol, under one prefix (`presence/v1` by default): the only place
/// that knows how topics are spelled.
///
/// Inputs: `{prefix}/in/{user}/{device}/state|heartbeat|activity` and
/// `{prefix}/in/{user}/settings|contacts|blocked|watch`. Outputs: `{prefix}/out/{viewer}/{target}`,
/// `{prefix}/err/{user}`, `{prefix}/bridge/status`, `{prefix}/bridge/stats`. The topic says who
/// speaks; a payload never does. Parsing is in `TopicLayout+Parsing.swift`; `topics(of:)` binds
/// the layout to one user, for a client.
public struct TopicLayout: Sendable, Equatable {
    /// `presence/v1`.
    public static let defaultPrefix = "presence/v1"

    /// The prefix without a trailing slash.
    public let prefix: String
    /// `{prefix}/in/` and `{prefix}/out/`, built once: every message is matched against them.
    let inputHead: String
    /// `{prefix}/out/`: every view topic starts with it.
    public let viewHead: String

    /// The layout under `prefix`; trailing slashes are dropped.
    public init(prefix: String = TopicLayout.defaultPrefix) {
        var trimmed = Substring(prefix)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        self.prefix = String(trimmed)
        inputHead = self.prefix + "/in/"
        viewHead = self.prefix + "/out/"
    }

    // MARK: - Inputs

    /// `{prefix}/in/{user}/{device}/{kind}`: state (retained, QoS 1, also the will's topic),
    /// heartbeat and activity (QoS 0, not retained).
    public func deviceInput(_ kind: DeviceInputKind, user: UserID, device: DeviceID) -> String {
        "\(inputHead)\(user.rawValue)/\(device.rawValue)/\(kind.rawValue)"
    }

    /// `{prefix}/in/{user}/{kind}`: settings and the lists (retained, QoS 1).
    public func userInput(_ kind: UserInputKind, user: UserID) -> String {
        "\(inputHead)\(user.rawValue)/\(kind.rawValue)"
    }

    /// The subscription that carries every input.
    public var inputFilter: String { "\(inputHead)#" }

    /// `{prefix}/in/{user}/+`: the user's own settings and lists, read back by its devices.
    public func userInputFilter(of user: UserID) -> String { "\(inputHead)\(user.rawValue)/+" }

    /// `{prefix}/in/+/{device}/{kind}`: one device input of every user that has that device id.
    public func deviceInputFilter(_ kind: DeviceInputKind, device: DeviceID) -> String {
        "\(inputHead)+/\(device.rawValue)/\(kind.rawValue)"
    }

    // MARK: - Outputs

    /// `{prefix}/out/{viewer}/{target}`: the view of target that viewer may see (retained, QoS 1).
    public func viewTopic(viewer: UserID, target: UserID) -> String {
        "\(viewHead)\(viewer.rawValue)/\(target.rawValue)"
    }

    /// The subscription to every view (the bridge reads them back during a resync only).
    public var viewFilter: String { "\(viewHead)+/+" }

    /// `{prefix}/out/{viewer}/+`: the one subscription that carries every view of one viewer.
    public func viewFilter(of viewer: UserID) -> String { "\(viewHead)\(viewer.rawValue)/+" }

    /// `{prefix}/err/{user}`: the user's rejected inputs (QoS 0, not retained).
    public func errorTopic(_ user: UserID) -> String { "\(prefix)/err/\(user.rawValue)" }

    /// `{prefix}/bridge/status`: the bridge's retained status, its will `offline`.
    public var statusTopic: String { "\(prefix)/bridge/status" }

    /// `{prefix}/bridge/stats`: the bridge's counters, for operators.
    public var statsTopic: String { "\(prefix)/bridge/stats" }

    /// The bridge's retained checkpoint marker; only the bridge reads or writes it.
    public var checkpointTopic: String { "\(prefix)/bridge/checkpoint" }

    /// The retained marker naming the bridge process that claimed the prefix last; only the
    /// bridge reads or writes it.
    public var claimTopic: String { "\(prefix)/bridge/claim" }

    /// A topic only this bridge uses, to learn that the broker has sent every retained message.
    public func syncTopic(_ token: String) -> String { "\(prefix)/bridge/sync/\(token)" }

    /// The layout bound to one user: the topics that user's client publishes and reads.
    public func topics(of user: UserID) -> UserTopics { UserTopics(layout: self, user: user) }
}

/// The inputs a device publishes under `in/{user}/{device}/`.
public enum DeviceInputKind: String, Sendable, CaseIterable {
    /// The device's state (retained): status, session, platform; also its will.
    case state
    /// Liveness only, with the connection's session.
    case heartbeat
    /// What the user is doing on the device, a lease.
    case activity
}

/// The inputs a user publishes under `in/{user}/`.
public enum UserInputKind: String, Sendable, CaseIterable {
    /// The privacy settings, a partial update (retained).
    case settings
    /// The address book (retained).
    case contacts
    /// The users who see nothing of this one (retained).
    case blocked
    /// More users to see, beyond the contacts (retained).
    case watch
}

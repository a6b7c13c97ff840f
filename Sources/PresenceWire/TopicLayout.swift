import PresenceCore

/// Every topic the bridge reads or writes, under one prefix (`presence/v1` by default).
///
/// Inputs: `{prefix}/in/{user}/{device}/state|heartbeat|activity` and
/// `{prefix}/in/{user}/settings|contacts|blocked|watch`. Outputs: `{prefix}/out/{viewer}/{target}`,
/// `{prefix}/err/{user}`, `{prefix}/bridge/status`, `{prefix}/bridge/stats`.
public struct TopicLayout: Sendable, Equatable {
    /// The prefix without a trailing slash.
    public let prefix: String
    /// `{prefix}/in/` and `{prefix}/out/`, built once: every message is matched against them.
    private let inputHead: String
    private let viewHead: String

    public init(prefix: String = "presence/v1") {
        var trimmed = Substring(prefix)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        self.prefix = String(trimmed)
        inputHead = self.prefix + "/in/"
        viewHead = self.prefix + "/out/"
    }

    /// The subscription that carries every input.
    public var inputFilter: String { "\(prefix)/in/#" }
    /// The subscription that shows the retained views already on the broker (read during a resync only).
    public var viewFilter: String { "\(prefix)/out/+/+" }
    /// The subscription to one viewer's retained views (a batched read-back).
    public func viewFilter(of viewer: UserID) -> String { "\(prefix)/out/\(viewer.rawValue)/+" }
    public var statusTopic: String { "\(prefix)/bridge/status" }
    public var statsTopic: String { "\(prefix)/bridge/stats" }

    /// The bridge's retained checkpoint marker (`Checkpoint`); only the bridge reads or writes it.
    public var checkpointTopic: String { "\(prefix)/bridge/checkpoint" }

    /// A topic only this bridge uses, to learn that the broker has sent every retained message.
    public func syncTopic(_ token: String) -> String { "\(prefix)/bridge/sync/\(token)" }

    public func viewTopic(viewer: UserID, target: UserID) -> String {
        "\(prefix)/out/\(viewer.rawValue)/\(target.rawValue)"
    }

    public func errorTopic(_ user: UserID) -> String { "\(prefix)/err/\(user.rawValue)" }

    /// The `{viewer}/{target}` part of a view topic, or nil when the topic is not a view.
    public func viewPair(_ topic: String) -> (viewer: Substring, target: Substring)? {
        guard let rest = suffix(of: topic, after: viewHead) else { return nil }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        return (parts[0], parts[1])
    }

    /// What a topic under `{prefix}/in/` addresses, before the ids are validated.
    public func inputAddress(_ topic: String) -> InputAddress? {
        guard let rest = suffix(of: topic, after: inputHead) else { return nil }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 2: return InputAddress(user: parts[0], device: nil, kind: parts[1])
        case 3: return InputAddress(user: parts[0], device: parts[1], kind: parts[2])
        default: return InputAddress(user: parts.first ?? "", device: nil, kind: "")
        }
    }

    private func suffix(of topic: String, after head: String) -> Substring? {
        guard topic.hasPrefix(head) else { return nil }
        return topic[topic.utf8.index(topic.startIndex, offsetBy: head.utf8.count)...]
    }
}

/// The inputs a device publishes under `in/{user}/{device}/`.
public enum DeviceInputKind: String, Sendable, CaseIterable {
    case state, heartbeat, activity
}

/// The inputs a user publishes under `in/{user}/`.
public enum UserInputKind: String, Sendable, CaseIterable {
    case settings, contacts, blocked, watch
}

/// The parts of an input topic, as raw text.
public struct InputAddress: Sendable, Equatable {
    /// The user part, not validated yet.
    public var user: Substring
    /// The device part of a device input; nil for a user input.
    public var device: Substring?
    /// The last level: `state`, `settings`, … (or anything a client sent).
    public var kind: Substring
}

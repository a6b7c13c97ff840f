import PresenceCore

extension TopicLayout {
    /// What a topic under `{prefix}/in/` addresses, before the ids are validated; nil for any
    /// other topic. One level below the user is a user input, two a device input; any other
    /// depth gives an empty `kind` (an unknown input).
    public func inputAddress(_ topic: String) -> InputAddress? {
        guard let rest = suffix(of: topic, after: inputHead) else { return nil }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 2: return InputAddress(user: parts[0], device: nil, kind: parts[1])
        case 3: return InputAddress(user: parts[0], device: parts[1], kind: parts[2])
        default: return InputAddress(user: parts.first ?? "", device: nil, kind: "")
        }
    }

    /// The `{viewer}/{target}` part of a view topic, not validated; nil when the topic is not a view.
    public func viewPair(_ topic: String) -> (viewer: Substring, target: Substring)? {
        guard let rest = suffix(of: topic, after: viewHead) else { return nil }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        return (parts[0], parts[1])
    }

    /// The target of a view topic of `viewer`; nil for any other topic, or a target that is
    /// not a valid id.
    public func viewTarget(_ topic: String, of viewer: UserID) -> UserID? {
        guard let pair = viewPair(topic), pair.viewer == viewer.rawValue else { return nil }
        return UserID(pair.target)
    }

    /// True for `{prefix}/in/{user}/{name}`: one of `user`'s settings or lists, known or not.
    public func isUserInput(_ topic: String, of user: UserID) -> Bool {
        guard let address = inputAddress(topic) else { return false }
        return address.device == nil && !address.kind.isEmpty && address.user == user.rawValue
    }

    private func suffix(of topic: String, after head: String) -> Substring? {
        guard topic.hasPrefix(head) else { return nil }
        return topic[topic.utf8.index(topic.startIndex, offsetBy: head.utf8.count)...]
    }
}

/// The parts of an input topic, as raw text.
public struct InputAddress: Sendable, Equatable {
    /// The user part, not validated yet.
    public var user: Substring
    /// The device part of a device input; nil for a user input.
    public var device: Substring?
    /// The last level: `state`, `settings`, … (or anything a client sent).
    public var kind: Substring

    /// An address from its parts.
    public init(user: Substring, device: Substring?, kind: Substring) {
        self.user = user
        self.device = device
        self.kind = kind
    }
}

import PresenceCore

/// Turns a message from an input topic into a `PresenceInput`, or says exactly what is wrong
/// with it (an `InputRejection`). The one place where the contract's input rules are applied.
///
/// Identity comes from the topic, never from the payload. Validation is complete before
/// anything is returned, so a rejected input changes nothing. The JSON rules, for every input:
/// white space around the value is allowed; a repeated key makes the payload invalid; a key the
/// contract does not name is ignored whatever its value, as long as the JSON is valid; `null`
/// for an optional field means the field is absent. The limits are `WireLimits`'.
public struct InputDecoder: Sendable {
    /// The topics inputs arrive on.
    public var topics: TopicLayout
    /// Most distinct ids in `contacts` and `blocked` (`--max-list`).
    public var maximumList: Int
    /// Most distinct ids in `watch` (`--max-watch`).
    public var maximumWatch: Int

    /// A decoder of the inputs under `topics`, with the list limits the bridge was given.
    public init(topics: TopicLayout, maximumList: Int = WireLimits.defaultListSize,
                maximumWatch: Int = WireLimits.defaultWatchSize) {
        self.topics = topics
        self.maximumList = maximumList
        self.maximumWatch = maximumWatch
    }

    /// Decodes one input; the topic must lie under `{prefix}/in/`.
    public func decode(topic: String, payload: [UInt8]) throws(InputRejection) -> PresenceInput {
        guard let address = topics.inputAddress(topic) else {
            throw InputRejection(.unknownTopic, "not an input topic", user: nil)
        }
        return try decode(address, user: UserID(address.user), payload: payload)
    }

    /// Decodes an input whose topic is already split (the bridge splits each topic once);
    /// `user` is `address.user` validated, nil when it is not a valid id.
    public func decode(_ address: InputAddress, user: UserID?, payload: [UInt8]) throws(InputRejection) -> PresenceInput {
        guard let user else {
            throw InputRejection(.invalidID, "invalid user id", user: nil)
        }
        try WireLimits.checkPayload(size: payload.count, user: user)
        let reader = PayloadReader(payload: payload, user: user)
        if let rawDevice = address.device {
            guard let kind = DeviceInputKind(rawValue: String(address.kind)) else {
                throw InputRejection(.unknownTopic, "unknown input '\(address.kind.prefix(32))': expected state, heartbeat or activity", user: user)
            }
            guard let device = DeviceID(rawDevice) else {
                throw InputRejection(.invalidID, "invalid device id: 1 to 64 characters of A-Z a-z 0-9 . _ - @, starting with a letter or digit", user: user)
            }
            switch kind {
            case .state: return .deviceState(user, device, try reader.state())
            case .heartbeat: return .heartbeat(user, device, session: try reader.heartbeat())
            case .activity: return .activity(user, device, try reader.activity())
            }
        }
        guard let kind = UserInputKind(rawValue: String(address.kind)) else {
            throw InputRejection(.unknownTopic, "unknown input '\(address.kind.prefix(32))': expected settings, contacts, blocked or watch", user: user)
        }
        switch kind {
        case .settings: return .settings(user, try reader.settings())
        case .contacts: return .contacts(user, try reader.list("contacts", limit: maximumList))
        case .blocked: return .blocked(user, try reader.list("blocked", limit: maximumList))
        case .watch: return .watch(user, try reader.list("watch", limit: maximumWatch))
        }
    }
}

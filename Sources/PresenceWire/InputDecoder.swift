import PresenceCore

/// Turns a message from an input topic into a `PresenceInput`, or says exactly what is wrong with it.
///
/// Identity comes from the topic, never from the payload. Validation is complete before anything
/// is returned, so a rejected input changes nothing. Unknown JSON keys are ignored everywhere.
public struct InputDecoder: Sendable {
    /// Inputs larger than the broker's `message_size_limit` are refused here too.
    public static let maximumPayload = 65_536
    static let maximumSession = 64
    static let maximumPlatform = 32
    static let maximumActivityText = 256
    static let maximumAudience = 100
    static let maximumTTLSeconds = 86_400.0

    public var topics: TopicLayout
    /// Most ids in `contacts` and `blocked` (`--max-list`).
    public var maximumList: Int
    /// Most ids in `watch` (`--max-watch`).
    public var maximumWatch: Int

    public init(topics: TopicLayout, maximumList: Int = 2000, maximumWatch: Int = 500) {
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
        guard payload.count <= Self.maximumPayload else {
            throw InputRejection(.payloadTooLarge, "payload of \(payload.count) bytes is over the limit of \(Self.maximumPayload)", user: user)
        }
        if let rawDevice = address.device {
            guard let kind = DeviceInputKind(rawValue: String(address.kind)) else {
                throw InputRejection(.unknownTopic, "unknown input '\(address.kind)': expected state, heartbeat or activity", user: user)
            }
            guard let device = DeviceID(rawDevice) else {
                throw InputRejection(.invalidID, "invalid device id: 1 to 64 characters of A-Z a-z 0-9 . _ - @, starting with a letter or digit", user: user)
            }
            switch kind {
            case .state: return .deviceState(user, device, try decodeState(payload, user: user))
            case .heartbeat: return .heartbeat(user, device, session: try decodeHeartbeat(payload, user: user))
            case .activity: return .activity(user, device, try decodeActivity(payload, user: user))
            }
        }
        guard let kind = UserInputKind(rawValue: String(address.kind)) else {
            throw InputRejection(.unknownTopic, "unknown input '\(address.kind)': expected settings, contacts, blocked or watch", user: user)
        }
        switch kind {
        case .settings: return .settings(user, try decodeSettings(payload, user: user))
        case .contacts: return .contacts(user, try decodeList(payload, name: "contacts", limit: maximumList, user: user))
        case .blocked: return .blocked(user, try decodeList(payload, name: "blocked", limit: maximumList, user: user))
        case .watch: return .watch(user, try decodeList(payload, name: "watch", limit: maximumWatch, user: user))
        }
    }

    /// A list input: the limit counts distinct ids other than the user's own, since duplicates
    /// and the user's own id are ignored anyway (an array longer than the payload limit allows
    /// cannot arrive).
    private func decodeList(_ payload: [UInt8], name: String, limit: Int, user: UserID) throws(InputRejection) -> [UserID] {
        if payload.isEmpty { return [] }
        let value: JSONValue
        do { value = try JSONValue.parse(payload) } catch { throw InputRejection(.invalidJSON, error.description, user: user) }
        let ids = try decodeIDs(value, name: name, limit: .max, user: user)
        var distinct = Set(ids)
        distinct.remove(user)
        guard distinct.count <= limit else {
            throw InputRejection(.listTooLong, "\(name) has \(distinct.count) distinct ids, over the limit of \(limit)", user: user)
        }
        return ids
    }

    // MARK: - Device inputs

    private func decodeState(_ payload: [UInt8], user: UserID) throws(InputRejection) -> DeviceState {
        if payload.isEmpty {
            return DeviceState(status: .offline, session: nil, platform: nil, isLost: false)
        }
        if payload.first != UInt8(ascii: "{") {
            let word = String(decoding: payload, as: UTF8.self).trimmingWhitespace
            if let status = DeviceStatus(rawValue: word) {
                return DeviceState(status: status, session: nil, platform: nil, isLost: false)
            }
            if payload.first != UInt8(ascii: "\"") {
                throw InputRejection(.invalidField, "state must be a JSON object or one of online, away, invisible, offline", user: user)
            }
        }
        let object = try parseObject(payload, user: user)
        guard let statusValue = object["status"] else {
            throw InputRejection(.invalidField, "state needs \"status\": online, away, invisible or offline", user: user)
        }
        guard case .string(let statusText) = statusValue, let status = DeviceStatus(rawValue: statusText) else {
            throw InputRejection(.invalidField, "\"status\" must be online, away, invisible or offline", user: user)
        }
        let session = try optionalString(object, "session", limit: Self.maximumSession, user: user)
        let platform = try optionalString(object, "platform", limit: Self.maximumPlatform, user: user)
        let reason = try optionalString(object, "reason", limit: Self.maximumActivityText, user: user)
        return DeviceState(status: status, session: session, platform: platform, isLost: reason == "lost")
    }

    private func decodeHeartbeat(_ payload: [UInt8], user: UserID) throws(InputRejection) -> String? {
        if payload.isEmpty { return nil }
        let object = try parseObject(payload, user: user)
        return try optionalString(object, "session", limit: Self.maximumSession, user: user)
    }

    private func decodeActivity(_ payload: [UInt8], user: UserID) throws(InputRejection) -> Activity? {
        if payload.isEmpty { return nil }
        let object = try parseObject(payload, user: user)
        guard case .string(let type)? = object["type"] else {
            throw InputRejection(.invalidField, "activity needs \"type\": typing, viewing, busy or idle", user: user)
        }
        let kind: ActivityKind
        let detailKey: String
        switch type {
        case "idle": return nil
        case "typing": kind = .typing; detailKey = "conversationId"
        case "viewing": kind = .viewing; detailKey = "page"
        case "busy": kind = .busy; detailKey = "reason"
        default:
            throw InputRejection(.invalidField, "unknown activity type '\(type.prefix(32))': expected typing, viewing, busy or idle", user: user)
        }
        let detail = try optionalString(object, detailKey, limit: Self.maximumActivityText, user: user)
        var audience: [UserID]?
        if let to = object["to"] {
            audience = try decodeIDs(to, name: "to", limit: Self.maximumAudience, user: user)
        }
        var ttl: Int64?
        if let value = object["ttl"] {
            guard case .number(let seconds) = value, seconds >= 0, seconds <= Self.maximumTTLSeconds else {
                throw InputRejection(.invalidField, "\"ttl\" must be a number of seconds from 0 to 86400", user: user)
            }
            ttl = Int64((seconds * 1000).rounded())
        }
        return Activity(kind: kind, detail: detail, audience: audience, ttlMilliseconds: ttl)
    }

    // MARK: - User inputs

    private func decodeSettings(_ payload: [UInt8], user: UserID) throws(InputRejection) -> PrivacySettingsUpdate {
        if payload.isEmpty { return PrivacySettingsUpdate() }
        let object = try parseObject(payload, user: user)
        func audience(_ key: String) throws(InputRejection) -> Audience? {
            guard let value = object[key] else { return nil }
            guard case .string(let text) = value, let audience = Audience(rawValue: text) else {
                throw InputRejection(.invalidField, "\"\(key)\" must be everyone, contacts or nobody", user: user)
            }
            return audience
        }
        return PrivacySettingsUpdate(
            showOnlineStatus: try audience("showOnlineStatus"),
            showLastSeen: try audience("showLastSeen"),
            showActivity: try audience("showActivity")
        )
    }


    private func decodeIDs(_ value: JSONValue, name: String, limit: Int, user: UserID) throws(InputRejection) -> [UserID] {
        guard case .array(let elements) = value else {
            throw InputRejection(.invalidField, "\(name) must be a JSON array of user ids, got \(value.typeName)", user: user)
        }
        guard elements.count <= limit else {
            throw InputRejection(.listTooLong, "\(name) has \(elements.count) ids, over the limit of \(limit)", user: user)
        }
        var ids: [UserID] = []
        ids.reserveCapacity(elements.count)
        for (position, element) in elements.enumerated() {
            guard case .string(let text) = element, let id = UserID(text) else {
                throw InputRejection(.invalidID, "\(name)[\(position)] is not a valid user id", user: user)
            }
            ids.append(id)
        }
        return ids
    }

    // MARK: - Helpers

    private func parseObject(_ payload: [UInt8], user: UserID) throws(InputRejection) -> [String: JSONValue] {
        let value: JSONValue
        do { value = try JSONValue.parse(payload) } catch { throw InputRejection(.invalidJSON, error.description, user: user) }
        guard case .object(let object) = value else {
            throw InputRejection(.invalidField, "expected a JSON object, got \(value.typeName)", user: user)
        }
        return object
    }

    private func optionalString(_ object: [String: JSONValue], _ key: String, limit: Int, user: UserID) throws(InputRejection) -> String? {
        guard let value = object[key] else { return nil }
        if case .null = value { return nil }
        guard case .string(let text) = value else {
            throw InputRejection(.invalidField, "\"\(key)\" must be a string, got \(value.typeName)", user: user)
        }
        guard text.count <= limit else {
            throw InputRejection(.invalidField, "\"\(key)\" is longer than \(limit) characters", user: user)
        }
        return text
    }
}

extension String {
    /// The text without leading and trailing ASCII white space.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

import PresenceCore

extension PayloadReader {
    /// `in/{user}/{device}/state`: an object with `status` (required), `session`, `platform`
    /// and `reason`; or a bare status word as the whole payload; empty = offline.
    func state() throws(InputRejection) -> DeviceState {
        if payload.isEmpty { return DeviceState(status: .offline) }
        if let status = bareStatus() { return DeviceState(status: status) }
        let notAState = InputRejection(.invalidField, "state must be a JSON object or one of online, away, invisible, offline", user: user)
        let value: JSONValue
        do {
            value = try json()
        } catch {
            // A word that is not a status ("sleeping") is a wrong state, not broken JSON.
            if let first = payload.first(where: { !JSONValue.isWhitespace($0) }), Self.isLetter(first) { throw notAState }
            throw error
        }
        guard case .object(let object) = value else { throw notAState }
        guard let statusValue = object.field("status") else {
            throw InputRejection(.invalidField, "state needs \"status\": online, away, invisible or offline", user: user)
        }
        guard case .string(let statusText) = statusValue, let status = DeviceStatus(rawValue: statusText) else {
            throw InputRejection(.invalidField, "\"status\" must be online, away, invisible or offline", user: user)
        }
        let session = try optionalString(object, "session", limit: WireLimits.sessionLength)
        let platform = try optionalString(object, "platform", limit: WireLimits.platformLength)
        let reason = try optionalString(object, "reason", limit: WireLimits.detailLength)
        return DeviceState(status: status, session: session, platform: platform, isLost: reason == "lost")
    }

    /// `in/{user}/{device}/heartbeat`: empty, or an object with an optional `session`.
    func heartbeat() throws(InputRejection) -> String? {
        if payload.isEmpty { return nil }
        return try optionalString(try object(), "session", limit: WireLimits.sessionLength)
    }

    /// `in/{user}/{device}/activity`: `type` (required), the detail of that type, `to` and
    /// `ttl`; nil for `idle` and for an empty payload. `"to":[]` is an activity for no one but
    /// the user.
    func activity() throws(InputRejection) -> Activity? {
        if payload.isEmpty { return nil }
        let object = try object()
        guard case .string(let type)? = object.field("type") else {
            throw InputRejection(.invalidField, "activity needs \"type\": typing, viewing, busy or idle", user: user)
        }
        if type == ActivityKind.idleType { return nil }
        guard let kind = ActivityKind(rawValue: type) else {
            throw InputRejection(.invalidField, "unknown activity type '\(type.prefix(32))': expected typing, viewing, busy or idle", user: user)
        }
        let detail = try optionalString(object, kind.detailKey, limit: WireLimits.detailLength)
        let audience = try object.field("to").map { value throws(InputRejection) in
            try userIDs(value, name: "to", limit: WireLimits.audienceSize)
        }
        var ttl: Int64?
        if let value = object.field("ttl") {
            guard case .number(let seconds) = value else {
                throw InputRejection(.invalidField, "\"ttl\" must be a number of seconds from 0 to 86400, got \(value.typeName)", user: user)
            }
            try WireLimits.checkTTL(seconds: seconds, user: user)
            // To the millisecond; a positive lease shorter than that is one millisecond, since
            // 0 alone means until replaced.
            ttl = seconds > 0 ? max(1, Int64((seconds * 1000).rounded())) : 0
        }
        return Activity(kind: kind, detail: detail, audience: audience, ttlMilliseconds: ttl)
    }

    /// The payload as a bare status word (`online`, `away`, `invisible`, `offline`), white
    /// space around it allowed; nil for anything else.
    private func bareStatus() -> DeviceStatus? {
        guard let first = payload.firstIndex(where: { !JSONValue.isWhitespace($0) }), Self.isLetter(payload[first]),
              let last = payload.lastIndex(where: { !JSONValue.isWhitespace($0) }), last - first < 16 else { return nil }
        return DeviceStatus(rawValue: String(decoding: payload[first...last], as: UTF8.self))
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}

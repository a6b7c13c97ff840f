import PresenceCore

/// The payloads a client publishes, exactly as docs/PROTOCOL.md writes them.
enum WirePayloads {
    /// `{"status":"online","session":"k3f9","platform":"mobile"}`; the will adds `"reason":"lost"`.
    static func state(_ status: DeviceStatus, session: String?, platform: String?, lost: Bool = false) -> [UInt8] {
        var members = [("status", quoted(status.rawValue))]
        if let session { members.append(("session", quoted(session))) }
        if let platform { members.append(("platform", quoted(platform))) }
        if lost { members.append(("reason", quoted("lost"))) }
        return object(members)
    }

    /// `{"session":"k3f9"}`, or empty without a session.
    static func heartbeat(session: String?) -> [UInt8] {
        guard let session else { return [] }
        return object([("session", quoted(session))])
    }

    /// `{"type":"typing","conversationId":"c1","to":["bob"],"ttl":3}`; nil = `{"type":"idle"}`.
    ///
    /// `ttlMilliseconds` is written in seconds (fractions allowed); nil leaves the bridge's default.
    static func activity(_ activity: Activity?, ttlMilliseconds: Int64?) -> [UInt8] {
        guard let activity else { return object([("type", quoted("idle"))]) }
        var members = [("type", quoted(activity.kind.rawValue))]
        if let detail = activity.detail {
            let key = switch activity.kind {
            case .typing: "conversationId"
            case .viewing: "page"
            case .busy: "reason"
            }
            members.append((key, quoted(detail)))
        }
        if let audience = activity.audience { members.append(("to", list(audience))) }
        if let ttl = ttlMilliseconds { members.append(("ttl", seconds(ttl))) }
        return object(members)
    }

    /// `{"showOnlineStatus":"everyone",…}` with the keys the update sets.
    static func settings(_ update: PrivacySettingsUpdate) -> [UInt8] {
        var members: [(String, String)] = []
        if let value = update.showOnlineStatus { members.append(("showOnlineStatus", quoted(value.rawValue))) }
        if let value = update.showLastSeen { members.append(("showLastSeen", quoted(value.rawValue))) }
        if let value = update.showActivity { members.append(("showActivity", quoted(value.rawValue))) }
        return object(members)
    }

    /// `["bob","carol"]`.
    static func userList(_ users: [UserID]) -> [UInt8] {
        Array(list(users).utf8)
    }

    private static func list(_ users: [UserID]) -> String {
        "[" + users.map { quoted($0.rawValue) }.joined(separator: ",") + "]"
    }

    private static func object(_ members: [(String, String)]) -> [UInt8] {
        Array(("{" + members.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}").utf8)
    }

    /// Milliseconds as seconds: `3`, `0.25`.
    private static func seconds(_ milliseconds: Int64) -> String {
        let clamped = max(milliseconds, 0)
        if clamped % 1000 == 0 { return String(clamped / 1000) }
        var fraction = String(clamped % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(clamped / 1000).\(fraction)"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

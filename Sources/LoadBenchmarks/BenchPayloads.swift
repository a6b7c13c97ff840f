import PresenceCore
import PresenceWire

/// Topic and payload building and parsing for the load benchmark, on bytes (no JSON decoder).
///
/// Users are `u0`, `u1`, …; each has one device `d1`. A state change carries a marker in its
/// `platform` field, `p{seq}t{microseconds}`, which every view of that user carries back:
/// the collector reads the event number and the send time from the view itself. Topics come
/// from the wire's `TopicLayout` under the default prefix.
enum BenchPayloads {
    static let topics = TopicLayout()
    /// Every bench user's one device.
    static let device = DeviceID("d1")!

    /// `u{index}`.
    static func user(_ index: Int) -> UserID { UserID("u\(index)")! }

    static func stateTopic(_ user: Int) -> String { topics.deviceInput(.state, user: Self.user(user), device: device) }
    static func heartbeatTopic(_ user: Int) -> String { topics.deviceInput(.heartbeat, user: Self.user(user), device: device) }
    static func settingsTopic(_ user: Int) -> String { topics.userInput(.settings, user: Self.user(user)) }
    static func contactsTopic(_ user: Int) -> String { topics.userInput(.contacts, user: Self.user(user)) }

    /// `{"status":S,"session":…,"platform":"p{seq}t{sent}"}`.
    static func state(_ status: DeviceStatus, session: String, seq: Int, sent: UInt64) -> [UInt8] {
        InputEncoder.state(DeviceState(status: status, session: session, platform: "p\(seq)t\(sent)"))
    }

    /// An explicit offline (immediate, no grace).
    static func offline(session: String) -> [UInt8] {
        InputEncoder.state(DeviceState(status: .offline, session: session))
    }

    /// The will of a device: offline, lost, with the connection's session.
    static func will(session: String) -> [UInt8] {
        InputEncoder.state(DeviceState(status: .offline, session: session, isLost: true))
    }

    static func heartbeat(session: String) -> [UInt8] { InputEncoder.heartbeat(session: session) }

    /// Every setting at `audience` (`everyone` so every change reaches every viewer).
    static func settings(_ audience: Audience) -> [UInt8] {
        InputEncoder.settings(PrivacySettingsUpdate(showOnlineStatus: audience, showLastSeen: audience, showActivity: audience))
    }

    static func list(_ users: [Int]) -> [UInt8] { InputEncoder.userList(users.map(user)) }

    /// A view-shaped payload of about `size` bytes with a marker, for the raw relay.
    static func relayPayload(seq: Int, sent: UInt64, size: Int) -> [UInt8] {
        let head = "{\"user\":\"u1\",\"status\":\"online\",\"devices\":[{\"id\":\"d1\",\"platform\":\"p\(seq)t\(sent)\",\"status\":\"online\"}]"
        let padding = max(0, size - head.utf8.count - 1 - 10)
        let filler = padding > 0 ? ",\"x\":\"" + String(repeating: "x", count: padding) + "\"" : ""
        return Array((head + filler + "}").utf8)
    }

    // MARK: - Parsing

    /// `(viewer, target)` of `{prefix}/out/u{v}/u{t}`, nil for any other topic.
    static func viewAddress(_ topic: String) -> (viewer: Int, target: Int)? {
        let utf8 = topic.utf8
        if let result = utf8.withContiguousStorageIfAvailable({ parseViewAddress($0) }) { return result }
        return Array(utf8).withUnsafeBufferPointer { parseViewAddress($0) }
    }

    private static let outPrefix = Array((topics.viewHead + "u").utf8)

    private static func parseViewAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> (viewer: Int, target: Int)? {
        guard bytes.count > outPrefix.count + 3 else { return nil }
        for index in 0..<outPrefix.count where bytes[index] != outPrefix[index] { return nil }
        var position = outPrefix.count
        guard let viewer = number(bytes, &position), position + 1 < bytes.count,
              bytes[position] == UInt8(ascii: "/"), bytes[position + 1] == UInt8(ascii: "u") else { return nil }
        position += 2
        guard let target = number(bytes, &position), position == bytes.count else { return nil }
        return (viewer, target)
    }

    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) -> Int? {
        var value = 0
        var digits = 0
        while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57, digits < 18 {
            value = value * 10 + Int(bytes[position] - 48)
            position += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// Status codes of a view, as the collector keeps them.
    enum Status: UInt8, Sendable {
        case hidden = 0, online, away, offline, invisible, deleted
    }

    private static let statusKey = Array("\"status\":\"".utf8)
    private static let platformKey = Array("\"platform\":\"p".utf8)

    /// The view's top-level status (the first `"status":"` is the top-level one: it comes before `devices`).
    static func status(_ payload: UnsafeBufferPointer<UInt8>) -> Status {
        if payload.isEmpty { return .deleted }
        guard let at = find(statusKey, in: payload), at + 1 < payload.count else { return .hidden }
        switch (payload[at], payload[at + 1]) {
        case (UInt8(ascii: "o"), UInt8(ascii: "n")): return .online
        case (UInt8(ascii: "o"), _): return .offline
        case (UInt8(ascii: "a"), _): return .away
        case (UInt8(ascii: "i"), _): return .invisible
        default: return .hidden
        }
    }

    /// The marker `p{seq}t{sent}` in a payload, if any.
    static func marker(_ payload: UnsafeBufferPointer<UInt8>) -> (seq: Int, sent: UInt64)? {
        guard var position = find(platformKey, in: payload) else { return nil }
        guard let seq = number(payload, &position), position < payload.count, payload[position] == UInt8(ascii: "t") else { return nil }
        position += 1
        guard let sent = number(payload, &position) else { return nil }
        return (seq, UInt64(sent))
    }

    /// The index just after the first occurrence of `needle`, nil if absent.
    private static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = needle.count
        guard haystack.count >= count, let first = needle.first else { return nil }
        var index = 0
        let last = haystack.count - count
        while index <= last {
            if haystack[index] == first {
                var match = true
                var offset = 1
                while offset < count {
                    if haystack[index + offset] != needle[offset] { match = false; break }
                    offset += 1
                }
                if match { return index + count }
            }
            index += 1
        }
        return nil
    }
}

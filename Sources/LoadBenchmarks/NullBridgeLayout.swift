/// The topics and payloads of the null bridge (see `NullBridge`), under a prefix of its own,
/// `bench/null`, so that it and the bridge never answer the same input.
///
/// The shapes mirror the bridge's: inputs `bench/null/in/u{n}/d1/state` (the bridge's
/// `presence/v1/in/u{n}/d1/state`, one character shorter), views `bench/null/out/u{v}/u{t}`.
/// A view copies the input's `status` and `platform` (the benchmark's marker `p{seq}t{sent}`)
/// into the bridge's view shape, so the collector times it like a view of the bridge.
public enum NullBridgeLayout {
    static let prefix = "bench/null"
    /// What the null bridge subscribes to: every device's state input.
    static let stateFilter = "\(prefix)/in/+/+/state"
    /// What the benchmark's subscriber takes of the null bridge: every view.
    static let viewFilter = "\(prefix)/out/+/+"
    /// The start of every view topic, to tell the null bridge's views from others.
    static let viewTopicHead = Array("\(prefix)/out/".utf8)

    /// The state input of user `u{user}`'s device `d1`.
    static func stateTopic(_ user: Int) -> String { "\(prefix)/in/u\(user)/d1/state" }

    /// The view topic of target `u{target}` for `u{viewer}`.
    static func viewTopic(viewer: Int, target: Int) -> String { "\(prefix)/out/u\(viewer)/u\(target)" }

    private static let stateHead = Array("\(prefix)/in/u".utf8)

    /// The user number of a state input topic `bench/null/in/u{n}/{device}/state`; nil otherwise.
    static func stateUser(_ topic: String) -> Int? {
        var bytes = Array(topic.utf8)[...]
        guard bytes.starts(with: stateHead) else { return nil }
        bytes = bytes.dropFirst(stateHead.count)
        let digits = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !digits.isEmpty, digits.count <= 18, bytes.dropFirst(digits.count).first == UInt8(ascii: "/") else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// The view of `u{target}` for a state input: `{"user":…,"status":S,"devices":[{"id":"d1","platform":P,"status":S}]}`.
    static func view(target: Int, input: [UInt8]) -> [UInt8] {
        let status = stringField("\"status\":\"", in: input).map(Array.init) ?? Array("offline".utf8)
        var view = Array("{\"user\":\"u\(target)\",\"status\":\"".utf8) + status + Array("\",\"devices\":[{\"id\":\"d1\"".utf8)
        if let platform = stringField("\"platform\":\"", in: input) {
            view += Array(",\"platform\":\"".utf8) + platform + [UInt8(ascii: "\"")]
        }
        view += Array(",\"status\":\"".utf8) + status + Array("\"}]}".utf8)
        return view
    }

    /// The bytes of the string value after `key` (up to the next `"`), nil if `key` is absent.
    private static func stringField(_ key: String, in payload: [UInt8]) -> ArraySlice<UInt8>? {
        let needle = Array(key.utf8)
        guard payload.count >= needle.count else { return nil }
        for start in 0...(payload.count - needle.count) where payload[start..<(start + needle.count)].elementsEqual(needle) {
            let value = payload[(start + needle.count)...]
            return value.prefix { $0 != UInt8(ascii: "\"") }
        }
        return nil
    }
}

/// The benchmark's contact graph, as the null bridge computes it: users `u0` … `u{users-1}`
/// in a ring, each listing the next `contacts` users (`BenchEnvironment.contactsOf`).
public struct BenchRing: Sendable {
    /// Users in the ring.
    public var users: Int
    /// Contacts per user.
    public var contacts: Int

    /// A ring of `users` users with `contacts` contacts each.
    public init(users: Int, contacts: Int) {
        self.users = users
        self.contacts = contacts
    }

    /// Who holds a view of `target`: itself and the `contacts` users before it, who list it
    /// (`BenchEnvironment.viewersOf`). Users outside the ring have their own view only.
    public func viewers(of target: Int) -> [Int] {
        guard target >= 0, target < users, users > 1 else { return [target] }
        return [target] + (1...min(contacts, users - 1)).map { (target - $0 + users) % users }
    }
}

import PresenceCore
import PresenceWire
import Testing

/// The contract's JSON rules, one test each, with the exact outcome: white space around the
/// value, repeated keys, unknown keys, null for optional fields, and an empty `to`.
@Suite("The JSON rules of the contract")
struct JSONRulesTests {
    let decoder = InputDecoder(topics: TopicLayout())
    let alice = UserID("alice")!
    let bob = UserID("bob")!
    let phone = DeviceID("phone")!

    private func decode(_ suffix: String, _ payload: String) throws(InputRejection) -> PresenceInput {
        try decoder.decode("alice/" + suffix, payload)
    }

    private func rejection(_ suffix: String, _ payload: String) -> InputRejection? {
        decoder.rejection("alice/" + suffix, payload)
    }

    @Test("white space around the value is allowed for every input", arguments: [
        ("phone/state", "\n  {\"status\":\"away\"}", PresenceInput.deviceState(UserID("alice")!, DeviceID("phone")!, DeviceState(status: .away))),
        ("phone/state", " \t away \r\n", .deviceState(UserID("alice")!, DeviceID("phone")!, DeviceState(status: .away))),
        ("phone/heartbeat", " {\"session\":\"s1\"}\n", .heartbeat(UserID("alice")!, DeviceID("phone")!, session: "s1")),
        ("phone/activity", "\t{\"type\":\"busy\"} ", .activity(UserID("alice")!, DeviceID("phone")!, Activity(kind: .busy))),
        ("settings", "\r\n{\"showActivity\":\"nobody\"}\r\n", .settings(UserID("alice")!, PrivacySettingsUpdate(showActivity: .nobody))),
        ("contacts", "  [\"bob\"]  ", .contacts(UserID("alice")!, [UserID("bob")!])),
        ("blocked", "\n[]\n", .blocked(UserID("alice")!, [])),
        ("watch", " [ \"bob\" , \"carol\" ] ", .watch(UserID("alice")!, [UserID("bob")!, UserID("carol")!])),
    ])
    func whitespaceAroundTheValue(_ suffix: String, _ payload: String, _ expected: PresenceInput) throws {
        #expect(try decode(suffix, payload) == expected)
    }

    @Test("a repeated key makes the payload invalid JSON, and the error names the key", arguments: [
        ("phone/state", #"{"status":"online","status":"away"}"#, #"invalid JSON at byte 19: duplicate key "status""#),
        ("settings", #"{"showLastSeen":"nobody","showLastSeen":"everyone"}"#, #"invalid JSON at byte 25: duplicate key "showLastSeen""#),
        ("phone/activity", #"{"type":"typing","x":{"a":1,"a":1}}"#, #"invalid JSON at byte 28: duplicate key "a""#),
    ])
    func repeatedKey(_ suffix: String, _ payload: String, _ message: String) {
        #expect(rejection(suffix, payload) == InputRejection(.invalidJSON, message, user: alice))
    }

    @Test("an unknown key is ignored whatever its value, as long as the JSON is valid", arguments: [
        #"{"status":"online","x":1e400}"#,
        #"{"status":"online","x":-1e400,"y":1e-400}"#,
        #"{"x":{"nested":[1,null,true,"é",{"deep":[[]]}]},"status":"online","z":null}"#,
        #"{"status":"online","session":"s1","sessionId":12345678901234567890123456789}"#,
    ])
    func unknownKeyIgnored(_ payload: String) throws {
        let input = try decode("phone/state", payload)
        guard case .deviceState(_, _, let state) = input else { Issue.record("not a state: \(input)"); return }
        #expect(state.status == .online)
    }

    @Test("an unknown key may hold any nesting that fits in a payload")
    func unknownKeyNestedDeep() throws {
        let deep = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        #expect(try decode("phone/state", #"{"status":"away","x":\#(deep)}"#) == .deviceState(alice, phone, DeviceState(status: .away)))
    }

    @Test("an unknown key must still hold valid JSON")
    func unknownKeyWithInvalidJSON() {
        #expect(rejection("phone/state", #"{"status":"online","x":tru}"#)?.code == .invalidJSON)
        #expect(rejection("phone/state", "{\"status\":\"online\",\"x\":\"\u{01}\"}")?.code == .invalidJSON)
        #expect(rejection("phone/state", #"{"status":"online","x":[[[[[[[[[[[[[[[[[[{"a":1,"a":2}]]]]]]]]]]]]]]]]]]}"#)?.code == .invalidJSON)
    }

    @Test("a number out of range is an error only where a known field needs it")
    func numberOutOfRangeInAKnownField() {
        #expect(rejection("phone/activity", #"{"type":"typing","ttl":1e400}"#)
                == InputRejection(.invalidField, #""ttl" must be a number of seconds from 0 to 86400"#, user: alice))
        #expect(rejection("phone/activity", #"{"type":"typing","ttl":-1e400}"#)?.code == .invalidField)
    }

    @Test("null for an optional field means the field is absent")
    func nullIsAbsent() throws {
        #expect(try decode("phone/state", #"{"status":"online","session":null,"platform":null,"reason":null}"#)
                == .deviceState(alice, phone, DeviceState(status: .online)))
        #expect(try decode("phone/heartbeat", #"{"session":null}"#) == .heartbeat(alice, phone, session: nil))
        #expect(try decode("phone/activity", #"{"type":"typing","conversationId":null,"to":null,"ttl":null}"#)
                == .activity(alice, phone, Activity(kind: .typing)))
    }

    @Test("a null setting keeps its value: settings are partial updates")
    func nullSettingKeepsItsValue() throws {
        let input = try decode("settings", #"{"showOnlineStatus":null,"showLastSeen":"nobody","showActivity":null}"#)
        #expect(input == .settings(alice, PrivacySettingsUpdate(showLastSeen: .nobody)))
        let current = PrivacySettings(showOnlineStatus: .contacts, showLastSeen: .everyone, showActivity: .nobody)
        guard case .settings(_, let update) = input else { return }
        #expect(current.updated(with: update) == PrivacySettings(showOnlineStatus: .contacts, showLastSeen: .nobody, showActivity: .nobody))
    }

    @Test("null for a required field is a missing field")
    func nullRequiredField() {
        #expect(rejection("phone/state", #"{"status":null}"#)
                == InputRejection(.invalidField, #"state needs "status": online, away, invisible or offline"#, user: alice))
        #expect(rejection("phone/activity", #"{"type":null}"#)
                == InputRejection(.invalidField, #"activity needs "type": typing, viewing, busy or idle"#, user: alice))
    }

    @Test("an empty `to` is an activity for no one but the user")
    func emptyAudience() throws {
        #expect(try decode("phone/activity", #"{"type":"typing","conversationId":"c1","to":[]}"#)
                == .activity(alice, phone, Activity(kind: .typing, detail: "c1", audience: [])))
    }
}

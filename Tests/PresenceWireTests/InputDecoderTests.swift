import PresenceCore
import Testing
@testable import PresenceWire

@Suite("Decoding and validating inputs")
struct InputDecoderTests {
    let decoder = InputDecoder(topics: TopicLayout(), maximumList: 3, maximumWatch: 2)

    private func id(_ text: String) -> UserID { UserID(text)! }
    private func device(_ text: String) -> DeviceID { DeviceID(text)! }

    @Test("a full state object decodes; unknown keys are ignored")
    func stateObject() throws {
        let input = try decoder.decode("alice/phone/state", #"{"status":"online","session":"k3f9","platform":"mobile","future":1}"#)
        #expect(input == .deviceState(id("alice"), device("phone"), DeviceState(status: .online, session: "k3f9", platform: "mobile", isLost: false)))
    }

    @Test("a will with reason lost is marked lost")
    func willIsLost() throws {
        let input = try decoder.decode("alice/phone/state", #"{"status":"offline","session":"k3f9","reason":"lost"}"#)
        #expect(input == .deviceState(id("alice"), device("phone"), DeviceState(status: .offline, session: "k3f9", platform: nil, isLost: true)))
    }

    @Test("a bare word is a whole state", arguments: ["online", "away", "invisible", "offline", " away\n"])
    func bareWord(_ word: String) throws {
        let input = try decoder.decode("alice/phone/state", word)
        let status = DeviceStatus.allCases.first { word.contains($0.rawValue) }!
        #expect(input == .deviceState(id("alice"), device("phone"), DeviceState(status: status, session: nil, platform: nil, isLost: false)))
    }

    @Test("an empty state payload means offline")
    func emptyState() throws {
        #expect(try decoder.decode("alice/phone/state", "") == .deviceState(id("alice"), device("phone"), DeviceState(status: .offline, session: nil, platform: nil, isLost: false)))
    }

    @Test("heartbeats carry an optional session")
    func heartbeat() throws {
        #expect(try decoder.decode("alice/phone/heartbeat", "") == .heartbeat(id("alice"), device("phone"), session: nil))
        #expect(try decoder.decode("alice/phone/heartbeat", #"{"session":"s1"}"#) == .heartbeat(id("alice"), device("phone"), session: "s1"))
    }

    @Test("activities decode with their field, audience and ttl; idle and empty clear")
    func activity() throws {
        let typing = try decoder.decode("alice/phone/activity", #"{"type":"typing","conversationId":"c1","to":["bob"],"ttl":1.5}"#)
        #expect(typing == .activity(id("alice"), device("phone"), Activity(kind: .typing, detail: "c1", audience: [id("bob")], ttlMilliseconds: 1500)))
        let busy = try decoder.decode("alice/phone/activity", #"{"type":"busy","reason":"In a meeting","ttl":0}"#)
        #expect(busy == .activity(id("alice"), device("phone"), Activity(kind: .busy, detail: "In a meeting", audience: nil, ttlMilliseconds: 0)))
        #expect(try decoder.decode("alice/phone/activity", #"{"type":"idle"}"#) == .activity(id("alice"), device("phone"), nil))
        #expect(try decoder.decode("alice/phone/activity", "") == .activity(id("alice"), device("phone"), nil))
    }

    @Test("a lease is read to the millisecond; only 0 itself means until replaced", arguments: [
        ("0", Int64(0)), ("0.0", 0), ("0.0004", 1), ("1e-400", 0), ("1e-300", 1), ("0.0015", 2), ("86400", 86_400_000),
    ])
    func leaseMilliseconds(_ ttl: String, _ milliseconds: Int64) throws {
        let input = try decoder.decode("alice/phone/activity", #"{"type":"busy","ttl":\#(ttl)}"#)
        #expect(input == .activity(id("alice"), device("phone"), Activity(kind: .busy, ttlMilliseconds: milliseconds)))
    }

    @Test("settings keep missing keys as nil")
    func settings() throws {
        let input = try decoder.decode("alice/settings", #"{"showLastSeen":"nobody"}"#)
        #expect(input == .settings(id("alice"), PrivacySettingsUpdate(showOnlineStatus: nil, showLastSeen: .nobody, showActivity: nil)))
    }

    @Test("list limits count distinct ids other than the user's own")
    func listLimitsAfterDeduplication() throws {
        #expect(try decoder.decode("alice/watch", #"["bob","carol","bob","alice"]"#) == .watch(id("alice"), [id("bob"), id("carol"), id("bob"), id("alice")]))
        #expect(decoder.rejection("alice/watch", #"["bob","carol","dave"]"#)?.code == .listTooLong)
        #expect(try decoder.decode("alice/contacts", #"["a","b","c","a","b","c","alice"]"#) == .contacts(id("alice"), [id("a"), id("b"), id("c"), id("a"), id("b"), id("c"), id("alice")]))
    }

    @Test("lists decode whole; an empty payload clears")
    func lists() throws {
        #expect(try decoder.decode("alice/contacts", #"["bob","carol"]"#) == .contacts(id("alice"), [id("bob"), id("carol")]))
        #expect(try decoder.decode("alice/blocked", "[]") == .blocked(id("alice"), []))
        #expect(try decoder.decode("alice/watch", "") == .watch(id("alice"), []))
    }

    @Test("each class of bad input is rejected with its reason", arguments: [
        ("alice/phone/state", "{", InputRejection.Code.invalidJSON),
        ("alice/phone/state", #"{"status":"sleeping"}"#, .invalidField),
        ("alice/phone/state", #"{"session":"x"}"#, .invalidField),
        ("alice/phone/state", #"{"status":"online","session":5}"#, .invalidField),
        ("alice/phone/state", #"{"status":"online","platform":"\#(String(repeating: "p", count: 33))"}"#, .invalidField),
        ("alice/phone/state", "sleeping", .invalidField),
        ("alice/phone/state", "[1]", .invalidField),
        ("alice/phone/activity", #"{"type":"dancing"}"#, .invalidField),
        ("alice/phone/activity", #"{"conversationId":"c1"}"#, .invalidField),
        ("alice/phone/activity", #"{"type":"typing","ttl":86401}"#, .invalidField),
        ("alice/phone/activity", #"{"type":"typing","ttl":-1}"#, .invalidField),
        ("alice/phone/activity", #"{"type":"typing","to":["bad id"]}"#, .invalidID),
        ("alice/phone/activity", #"{"type":"viewing","page":"\#(String(repeating: "p", count: 257))"}"#, .invalidField),
        ("alice/settings", #"{"showLastSeen":"friends"}"#, .invalidField),
        ("alice/settings", #"["everyone"]"#, .invalidField),
        ("alice/contacts", #"["a","b","c","d"]"#, .listTooLong),
        ("alice/watch", #"["a","b","c"]"#, .listTooLong),
        ("alice/contacts", #"["ok","not/ok"]"#, .invalidID),
        ("alice/contacts", #"{"bob":true}"#, .invalidField),
        ("alice/contacts", #"[1]"#, .invalidID),
        ("alice/bad$device/state", "online", .invalidID),
        ("alice/phone/mood", "happy", .unknownTopic),
        ("alice/friends", "[]", .unknownTopic),
    ])
    func rejects(_ topic: String, _ payload: String, _ reason: InputRejection.Code) {
        let error = decoder.rejection(topic, payload)
        #expect(error?.code == reason)
        #expect(error?.user == id("alice"))
        #expect(error?.message.isEmpty == false)
    }

    @Test("inputs are read under the decoder's prefix only")
    func customPrefix() throws {
        let decoder = InputDecoder(topics: TopicLayout(prefix: "acme/presence"))
        #expect(try decoder.decode(topic: "acme/presence/in/alice/phone/state", payload: Array("away".utf8))
                == .deviceState(id("alice"), device("phone"), DeviceState(status: .away)))
        #expect(throws: InputRejection(.unknownTopic, "not an input topic", user: nil)) {
            try decoder.decode(topic: "presence/v1/in/alice/phone/state", payload: [])
        }
    }

    @Test("an invalid user id is rejected with no user to tell", arguments: ["$SYS", "-lead", String(repeating: "u", count: 65), "é"])
    func invalidUser(_ user: String) {
        let error = decoder.rejection("\(user)/phone/state", "online")
        #expect(error?.code == .invalidID)
        #expect(error?.user == nil)
    }

    @Test("payloads over 64 KiB are rejected")
    func oversized() {
        let payload = [UInt8](repeating: UInt8(ascii: " "), count: 65_537)
        #expect(throws: InputRejection.self) { try decoder.decode(topic: "presence/v1/in/alice/phone/state", payload: payload) }
    }
}

import PresenceCore
import PresenceWire
import Testing

/// What the encoder writes, the decoder reads back as the same input, topic included.
@Suite("Inputs: encode, then decode")
struct InputRoundTripTests {
    static let alice = UserID("alice")!
    static let phone = DeviceID("phone-2")!
    static let awkward = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} é 😀 \u{2028}"

    static let inputs: [PresenceInput] = [
        .deviceState(alice, phone, DeviceState(status: .online, session: "k3f9", platform: "mobile")),
        .deviceState(alice, phone, DeviceState(status: .away)),
        .deviceState(alice, phone, DeviceState(status: .invisible, session: String(repeating: "s", count: 64))),
        .deviceState(alice, phone, DeviceState(status: .offline, session: "s1", isLost: true)),
        .deviceState(alice, phone, DeviceState(status: .offline, platform: "web \"beta\"")),
        .heartbeat(alice, phone, session: nil),
        .heartbeat(alice, phone, session: "k3f9"),
        .activity(alice, phone, nil),
        .activity(alice, phone, Activity(kind: .typing, detail: "c1", audience: [UserID("bob")!], ttlMilliseconds: 3000)),
        .activity(alice, phone, Activity(kind: .typing, audience: [])),
        .activity(alice, phone, Activity(kind: .viewing, detail: awkward)),
        .activity(alice, phone, Activity(kind: .busy, detail: "In a meeting", ttlMilliseconds: 0)),
        .activity(alice, phone, Activity(kind: .busy, ttlMilliseconds: 1)),
        .activity(alice, phone, Activity(kind: .busy, ttlMilliseconds: 1500)),
        .activity(alice, phone, Activity(kind: .busy, ttlMilliseconds: 86_400_000)),
        .activity(alice, phone, Activity(kind: .typing, audience: (0..<100).map { UserID("u\($0)")! })),
        .settings(alice, PrivacySettingsUpdate()),
        .settings(alice, PrivacySettingsUpdate(showLastSeen: .nobody)),
        .settings(alice, PrivacySettingsUpdate(showOnlineStatus: .everyone, showLastSeen: .contacts, showActivity: .nobody)),
        .contacts(alice, [UserID("bob")!, UserID("carol.smith@example")!, UserID("bob")!, alice]),
        .blocked(alice, []),
        .watch(alice, [UserID("Bob")!]),
    ]

    @Test("every input decodes to what was encoded", arguments: inputs)
    func roundTrip(_ input: PresenceInput) throws {
        for topics in [TopicLayout(), TopicLayout(prefix: "acme/presence")] {
            let (topic, payload) = InputEncoder(topics: topics).encode(input)
            #expect(try InputDecoder(topics: topics).decode(topic: topic, payload: payload) == input,
                    "\(topic) \(String(decoding: payload, as: UTF8.self))")
        }
    }

    @Test("payloads are written as the contract shows them")
    func documentedShapes() {
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        #expect(text(InputEncoder.state(DeviceState(status: .online, session: "k3f9", platform: "mobile")))
                == #"{"status":"online","session":"k3f9","platform":"mobile"}"#)
        #expect(text(InputEncoder.state(DeviceState(status: .offline, session: "s1", isLost: true)))
                == #"{"status":"offline","session":"s1","reason":"lost"}"#)
        #expect(text(InputEncoder.heartbeat(session: "k3f9")) == #"{"session":"k3f9"}"#)
        #expect(InputEncoder.heartbeat(session: nil).isEmpty)
        #expect(text(InputEncoder.activity(Activity(kind: .typing, detail: "c1", audience: [UserID("bob")!], ttlMilliseconds: 3000)))
                == #"{"type":"typing","conversationId":"c1","to":["bob"],"ttl":3}"#)
        #expect(text(InputEncoder.activity(Activity(kind: .busy, ttlMilliseconds: 250))) == #"{"type":"busy","ttl":0.25}"#)
        #expect(text(InputEncoder.activity(nil)) == #"{"type":"idle"}"#)
        #expect(text(InputEncoder.settings(PrivacySettingsUpdate(showLastSeen: .nobody))) == #"{"showLastSeen":"nobody"}"#)
        #expect(text(InputEncoder.userList([UserID("bob")!, UserID("carol")!])) == #"["bob","carol"]"#)
    }

    @Test("a negative lease is written as 0, which is what the engine makes of it")
    func negativeLease() throws {
        let payload = InputEncoder.activity(Activity(kind: .busy, ttlMilliseconds: -5))
        #expect(String(decoding: payload, as: UTF8.self) == #"{"type":"busy","ttl":0}"#)
    }
}

import PresenceCore
import Testing
@testable import PresenceWire

@Suite("Topics under a prefix")
struct TopicLayoutTests {
    @Test("every topic lives under the prefix, with or without a trailing slash", arguments: ["acme/presence", "acme/presence/"])
    func customPrefix(_ prefix: String) throws {
        let topics = TopicLayout(prefix: prefix)
        let alice = try #require(UserID("alice"))
        let bob = try #require(UserID("bob"))
        #expect(topics.inputFilter == "acme/presence/in/#")
        #expect(topics.viewFilter == "acme/presence/out/+/+")
        #expect(topics.viewTopic(viewer: bob, target: alice) == "acme/presence/out/bob/alice")
        #expect(topics.errorTopic(alice) == "acme/presence/err/alice")
        #expect(topics.statusTopic == "acme/presence/bridge/status")
        let decoder = InputDecoder(topics: topics)
        #expect(try decoder.decode(topic: "acme/presence/in/alice/phone/state", payload: Array("away".utf8))
                == .deviceState(alice, try #require(DeviceID("phone")), DeviceState(status: .away, session: nil, platform: nil, isLost: false)))
        #expect(throws: InputRejection.self) { try decoder.decode(topic: "presence/v1/in/alice/phone/state", payload: []) }
        #expect(topics.viewPair("acme/presence/out/bob/alice")?.viewer == "bob")
        #expect(topics.viewPair("acme/presence/out/bob/alice/extra") == nil)
    }
}

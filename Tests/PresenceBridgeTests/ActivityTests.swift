import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

@Suite("Activity through a real broker")
struct ActivityTests {
    @Test("typing is shown, then cleared by its lease")
    func typingClearsByTTL() async throws {
        try await BridgeFixture.run { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            let started = Date()
            try await fixture.send(phone, "alice/phone/activity", #"{"type":"typing","conversationId":"c1","ttl":0.5}"#)
            let typing = try await bob.waitFor("alice", "typing") { $0.activity != nil }
            #expect(typing.activity?["type"] as? String == "typing")
            #expect(typing.activity?["conversationId"] as? String == "c1")
            #expect(typing.activity?["ttl"] == nil && typing.activity?["to"] == nil)
            try await bob.waitFor("alice", "typing cleared") { $0.activity == nil }
            #expect(Date().timeIntervalSince(started) >= 0.45)
        }
    }

    @Test("an activity until replaced clears when its device drops")
    func activityClearsWhenDeviceDrops() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.1 }) { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await fixture.send(phone, "alice/phone/activity", #"{"type":"busy","reason":"In a meeting","ttl":0}"#)
            let busy = try await bob.waitFor("alice", "busy") { $0.activity != nil }
            #expect(busy.activity?["reason"] as? String == "In a meeting")
            await phone.abortConnection()
            let gone = try await bob.waitFor("alice", "alice offline") { $0.status == "offline" }
            #expect(gone.activity == nil)
        }
    }

    @Test("an activity with `to` reaches only the viewers it names")
    func activityAudience() async throws {
        try await BridgeFixture.run { fixture in
            try await fixture.contacts("alice", ["bob", "carol"])
            try await fixture.contacts("bob", ["alice"])
            try await fixture.contacts("carol", ["alice"])
            let bob = try await fixture.viewer("bob")
            let carol = try await fixture.viewer("carol")
            let alice = try await fixture.viewer("alice")
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await carol.waitFor("alice", "alice online for carol") { $0.status == "online" }
            try await fixture.send(phone, "alice/phone/activity", #"{"type":"typing","conversationId":"c1","to":["bob"],"ttl":0}"#)
            try await bob.waitFor("alice", "bob sees typing") { $0.activity != nil }
            try await alice.waitFor("alice", "alice's self view shows her typing") { $0.activity != nil }
            // Sentinel for carol: alice changes status, which carol sees.
            try await fixture.send(phone, "alice/phone/state", #"{"status":"away","session":"s1"}"#)
            try await carol.waitFor("alice", "alice away for carol") { $0.status == "away" }
            #expect(carol.views("alice").allSatisfy { $0.activity == nil }, "saw: \(carol.describe("alice"))")
        }
    }
}

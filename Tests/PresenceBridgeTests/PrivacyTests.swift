import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

@Suite("Privacy through a real broker")
struct PrivacyTests {
    /// alice has bob as a contact; carol watches alice without being her contact.
    private func setUp(_ fixture: BridgeFixture) async throws -> (bob: ViewRecorder, carol: ViewRecorder, phone: MQTTClient) {
        try await fixture.makeContacts("alice", "bob")
        try await fixture.watch("carol", ["alice"])
        let bob = try await fixture.viewer("bob")
        let carol = try await fixture.viewer("carol")
        let phone = try await fixture.device("alice", "phone", session: "s1")
        try await fixture.send(phone, "alice/phone/state", #"{"status":"offline","session":"s1"}"#)
        try await fixture.send(phone, "alice/phone/state", #"{"status":"online","session":"s2"}"#)
        try await fixture.send(phone, "alice/phone/activity", #"{"type":"viewing","page":"/inbox","ttl":0}"#)
        try await bob.waitFor("alice", "bob's full view") { $0.status == "online" && $0.lastSeen != nil && $0.activity != nil }
        return (bob, carol, phone)
    }

    @Test("the defaults show status to everyone, last seen and activity to contacts")
    func defaults() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, carol, _) = try await setUp(fixture)
            #expect(bob.latest("alice")?.fieldNames == ["user", "status", "lastSeen", "activity", "devices"])
            let watcher = try await carol.waitFor("alice", "carol sees status") { $0.status == "online" }
            #expect(watcher.fieldNames == ["user", "status", "devices"])
            // A stranger (alice on none of dave's lists) holds no view of alice at all.
            try await fixture.contacts("dave", ["carol"])
            let dave = try await fixture.viewer("dave")
            try await dave.waitFor("carol", "dave's own list") { _ in true }
            #expect(!dave.targets.contains("alice"))
        }
    }

    @Test("each level applies per field to a contact and to a watcher")
    func levelsPerField() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, carol, _) = try await setUp(fixture)
            try await fixture.settings("alice", ["showOnlineStatus": "contacts", "showLastSeen": "everyone", "showActivity": "nobody"])
            let contact = try await bob.waitFor("alice", "bob without activity") { $0.activity == nil }
            #expect(contact.fieldNames == ["user", "status", "lastSeen", "devices"])
            let watcher = try await carol.waitFor("alice", "carol without status") { $0.status == nil }
            #expect(watcher.fieldNames == ["user", "lastSeen"])
        }
    }

    @Test("a viewer every setting denies gets the bare view")
    func bareView() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, carol, _) = try await setUp(fixture)
            try await fixture.settings("alice", ["showOnlineStatus": "nobody", "showLastSeen": "nobody", "showActivity": "nobody"])
            try await carol.waitFor("alice", "carol bare") { $0.fieldNames == ["user"] }
            try await bob.waitFor("alice", "bob bare") { $0.fieldNames == ["user"] }
            #expect(String(decoding: bob.payloads("alice").last ?? [], as: UTF8.self) == #"{"user":"alice"}"#)
        }
    }

    @Test("removing a contact revokes at once what only contacts may see")
    func contactRevocation() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, _, _) = try await setUp(fixture)
            try await fixture.contacts("alice", [])
            let view = try await bob.waitFor("alice", "bob reduced to a stranger") { $0.lastSeen == nil && $0.activity == nil }
            #expect(view.fieldNames == ["user", "status", "devices"])
        }
    }

    @Test("a tightened setting revokes at once")
    func settingRevocation() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, _, _) = try await setUp(fixture)
            try await fixture.settings("alice", ["showLastSeen": "nobody"])
            let view = try await bob.waitFor("alice", "bob without last seen") { $0.lastSeen == nil }
            #expect(view.activity != nil, "a missing key keeps its previous value")
        }
    }

    @Test("a block beats a contact: the blocked viewer gets the bare view")
    func block() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, carol, _) = try await setUp(fixture)
            try await fixture.blocked("alice", ["bob", "carol"])
            try await bob.waitFor("alice", "bob blocked") { $0.fieldNames == ["user"] }
            try await carol.waitFor("alice", "carol blocked") { $0.fieldNames == ["user"] }
            try await fixture.blocked("alice", [])
            try await bob.waitFor("alice", "bob unblocked") { $0.status == "online" }
        }
    }

    @Test("invisible: others see offline with last seen frozen; the self view shows invisible")
    func invisible() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, carol, phone) = try await setUp(fixture)
            let alice = try await fixture.viewer("alice")
            try await fixture.send(phone, "alice/phone/state", #"{"status":"invisible","session":"s2"}"#)
            let hidden = try await bob.waitFor("alice", "alice looks offline") { $0.status == "offline" }
            #expect(hidden.devices?.isEmpty == true)
            #expect(hidden.activity == nil)
            let frozen = try #require(hidden.lastSeen)
            let selfView = try await alice.waitFor("alice", "self view invisible") { $0.status == "invisible" }
            #expect(selfView.devices?.first?["status"] as? String == "invisible")
            let count = bob.payloads("alice").count

            try await fixture.send(phone, "alice/phone/activity", #"{"type":"typing","ttl":0}"#)
            try await fixture.send(phone, "alice/phone/state", #"{"status":"offline","session":"s2"}"#)
            try await alice.waitFor("alice", "self view offline") { $0.status == "offline" }
            // Sentinel through bob's own list: carol's view change reaches bob after anything about alice.
            try await fixture.contacts("carol", ["bob"])
            try await fixture.contacts("bob", ["alice", "carol"])
            _ = carol
            try await bob.waitFor("carol", "bob sees carol") { _ in true }
            #expect(bob.payloads("alice").count == count, "saw: \(bob.describe("alice"))")
            #expect(bob.latest("alice")?.lastSeen == frozen)
        }
    }

    @Test("a viewer's view is deleted only when the viewer takes the target off its lists")
    func viewDeletion() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, carol, _) = try await setUp(fixture)
            try await fixture.contacts("bob", [])
            try await bob.waitForDeletion("alice")
            try await fixture.watch("carol", [])
            try await carol.waitForDeletion("alice")
            #expect(bob.latest("bob") != nil, "the self view stays")
        }
    }

    @Test("a burst of toggles never publishes the same view twice in a row")
    func burstHasNoRepeats() async throws {
        try await BridgeFixture.run { fixture in
            let (bob, _, _) = try await setUp(fixture)
            let alice = try await fixture.client("alice")
            for round in 0..<20 {
                try await alice.publish(MQTTMessage(topic: "presence/v1/in/alice/blocked",
                                                    payload: Array((round % 2 == 0 ? #"["bob"]"# : "[]").utf8),
                                                    qos: .atLeastOnce, retain: true))
            }
            await alice.waitForPublishes()
            try await fixture.send(alice, "alice/phone/state", #"{"status":"away","session":"s2"}"#)
            try await bob.waitFor("alice", "the sentinel") { $0.status == "away" }
            let payloads = bob.payloads("alice")
            for (earlier, later) in zip(payloads, payloads.dropFirst()) {
                #expect(earlier != later, "a view repeated: \(bob.describe("alice"))")
            }
        }
    }
}

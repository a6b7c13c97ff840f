import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

/// The contract across brokers: targets homed at one broker, viewers at others, three shards.
/// alice is homed at broker 0, bob at 1, carol at 2, dave at 1.
@Suite("The contract across three federated brokers", .serialized)
struct FederatedContractTests {
    static let roles = ["alice": 0, "bob": 1, "carol": 2, "dave": 1]

    @Test("status, will and grace, and last seen reach viewers homed at other brokers")
    func presenceCrossesBrokers() async throws {
        try await Federation.run(roles: Self.roles) { f in
            let alice = f.id("alice")
            try await f.settings("alice", #"{"showLastSeen":"everyone"}"#)
            try await f.list("bob", "contacts", ["alice"])
            try await f.list("carol", "watch", ["alice"])
            let bob = try await f.viewer("bob")
            let carol = try await f.viewer("carol")
            try await bob.waitFor(alice, "bob's view of alice, decided on broker 0") { $0.status == "offline" }
            try await carol.waitFor(alice, "carol's view of alice") { $0.status == "offline" }
            try await bob.waitFor(f.id("bob"), "bob's self view") { $0.status == "offline" }

            let phone = try await f.device("alice", "phone", session: "s1")
            try await bob.waitFor(alice, "alice online at bob's broker") { $0.status == "online" }
            try await carol.waitFor(alice, "alice online at carol's broker") { $0.status == "online" }
            try await f.send(phone, "\(alice)/phone/state", #"{"status":"away","session":"s1"}"#)
            try await bob.waitFor(alice, "alice away") { $0.status == "away" }

            await phone.abortConnection()  // the will; after the grace, offline with a last seen
            let offline = try await bob.waitFor(alice, "alice offline after the grace") { $0.status == "offline" && $0.lastSeen != nil }
            let seenByCarol = try await carol.waitFor(alice, "carol sees the same") { $0.status == "offline" && $0.lastSeen != nil }
            #expect(offline.lastSeen == seenByCarol.lastSeen, "last seen is the same for every viewer allowed to see it")
            #expect(!bob.viewsSinceOnline(alice).contains { $0.status == "online" && $0.lastSeen != nil }, "no flicker")

            let late = try await f.viewer("bob")
            try await waitUntil("a fresh subscriber gets bob's whole list") { late.targets == [alice, f.id("bob")] }
            #expect(late.latest(alice)?.lastSeen == offline.lastSeen)
        }
    }

    @Test("privacy levels, revocation and block are applied by the target's shard for viewers elsewhere")
    func privacyAcrossBrokers() async throws {
        try await Federation.run(roles: Self.roles) { f in
            let alice = f.id("alice")
            try await f.settings("alice", #"{"showOnlineStatus":"contacts","showLastSeen":"nobody","showActivity":"contacts"}"#)
            try await f.list("alice", "contacts", ["bob"])
            try await f.list("bob", "contacts", ["alice"])
            try await f.list("carol", "watch", ["alice"])
            _ = try await f.device("alice", "phone", session: "s1")
            let bob = try await f.viewer("bob")
            let carol = try await f.viewer("carol")
            try await bob.waitFor(alice, "bob, a contact, sees alice online") { $0.status == "online" }
            try await carol.waitFor(alice, "carol, not a contact, sees only the user") { $0.count == 1 && $0["user"] as? String == alice }

            try await f.list("alice", "contacts", [])  // revoked at once
            try await bob.waitFor(alice, "bob no longer a contact") { $0.count == 1 }
            try await f.list("alice", "contacts", ["bob"])
            try await bob.waitFor(alice, "bob a contact again") { $0.status == "online" }
            try await f.list("alice", "blocked", ["bob"])
            try await bob.waitFor(alice, "bob blocked") { $0.count == 1 }
            try await f.list("alice", "blocked", [])
            try await bob.waitFor(alice, "bob unblocked") { $0.status == "online" }
            #expect(carol.views(alice).allSatisfy { $0.status == nil }, "carol never saw a status")
        }
    }

    @Test("invisible and an activity for named viewers only, across brokers")
    func invisibleAndActivity() async throws {
        try await Federation.run(roles: Self.roles) { f in
            let alice = f.id("alice")
            for viewer in ["bob", "carol", "dave"] { try await f.list(viewer, "contacts", ["alice"]) }
            try await f.list("alice", "contacts", ["bob", "carol", "dave"])
            let phone = try await f.device("alice", "phone", session: "s1")
            let bob = try await f.viewer("bob")
            let carol = try await f.viewer("carol")
            let dave = try await f.viewer("dave")
            let own = try await f.viewer("alice")
            for viewer in [bob, carol, dave] { try await viewer.waitFor(alice, "alice online") { $0.status == "online" } }

            try await f.send(phone, "\(alice)/phone/activity", #"{"type":"typing","conversationId":"c1","to":["\#(f.id("bob"))"],"ttl":0}"#)
            try await bob.waitFor(alice, "bob sees the typing") { ($0["activity"] as? [String: Any])?["type"] as? String == "typing" }
            // The sentinel: an away sent after the activity on the same connection.
            try await f.send(phone, "\(alice)/phone/state", #"{"status":"away","session":"s1"}"#)
            try await carol.waitFor(alice, "carol sees the sentinel") { $0.status == "away" }
            try await dave.waitFor(alice, "dave sees the sentinel") { $0.status == "away" }
            #expect(carol.views(alice).allSatisfy { $0["activity"] == nil }, "carol is not in the activity's to")
            #expect(dave.views(alice).allSatisfy { $0["activity"] == nil }, "dave is not in the activity's to")

            try await f.send(phone, "\(alice)/phone/state", #"{"status":"invisible","session":"s1"}"#)
            try await bob.waitFor(alice, "alice offline to others") { $0.status == "offline" && ($0["devices"] as? [Any])?.isEmpty == true && $0["activity"] == nil }
            try await carol.waitFor(alice, "alice offline to carol") { $0.status == "offline" }
            try await own.waitFor(alice, "alice's own view says invisible") { $0.status == "invisible" }
        }
    }

    @Test("a list change deletes the view on the viewer's broker, and a list of a user homed elsewhere reaches every shard")
    func listChangesDeleteViews() async throws {
        try await Federation.run(roles: Self.roles) { f in
            let alice = f.id("alice")
            let carol = f.id("carol")
            _ = try await f.device("alice", "phone", session: "s1")
            _ = try await f.device("carol", "tablet", session: "c1", status: "away")
            try await f.list("bob", "contacts", ["alice", "carol"])  // targets on brokers 0 and 2
            let bob = try await f.viewer("bob")
            try await bob.waitFor(alice, "alice online") { $0.status == "online" }
            try await bob.waitFor(carol, "carol away") { $0.status == "away" }
            try await f.list("bob", "contacts", ["carol"])
            try await bob.waitForDeletion(alice)
            #expect(bob.latest(carol)?.status == "away")
            let late = try await f.viewer("bob")
            try await waitUntil("a fresh subscriber has bob and carol only") { late.targets == [f.id("bob"), carol] }
        }
    }

    @Test("an input sent to a broker that is not the user's home is refused, naming the home")
    func wrongHome() async throws {
        try await Federation.run(roles: Self.roles) { f in
            let alice = f.id("alice")
            try await f.list("bob", "contacts", ["alice"])
            let bob = try await f.viewer("bob")
            try await bob.waitFor(alice, "alice offline") { $0.status == "offline" }
            // alice connects to bob's broker (1) by mistake.
            let stray = try await f.client("alice", broker: 1)
            let errors = try await Recorder(client: stray, filter: "presence/v1/err/\(alice)")
            try await f.send(stray, "\(alice)/phone/state", #"{"status":"online","session":"x"}"#)
            try await waitUntil("an error on err/alice at broker 1") { errors.latest("presence/v1/err/\(alice)") != nil }
            let error = try #require(errors.latest("presence/v1/err/\(alice)"))
            #expect(error.contains("homed at broker 0") && error.contains(f.broker(0).url), "\(error)")
            // The sentinel: the same state at her home shows online; nothing else came before it.
            _ = try await f.device("alice", "phone", session: "s1")
            try await bob.waitFor(alice, "alice online from her home") { $0.status == "online" }
            #expect(bob.views(alice).filter { $0.status == "online" }.count == 1)
        }
    }

    @Test("a list sent to a broker that is not the user's home is taken by no shard")
    func wrongHomeList() async throws {
        try await Federation.run(roles: Self.roles) { f in
            let alice = f.id("alice")
            try await f.settings("alice", #"{"showOnlineStatus":"contacts"}"#)
            try await f.list("bob", "contacts", ["alice"])
            let bob = try await f.viewer("bob")
            try await bob.waitFor(alice, "bob, not alice's contact, sees only the user") { $0.count == 1 }
            // alice names bob a contact, but on bob's broker (1): refused there, and the copy that
            // broker 1's link delivers to broker 0 must be ignored by alice's shard.
            let stray = try await f.client("alice", broker: 1)
            try await f.send(stray, "\(alice)/contacts", #"["\#(f.id("bob"))"]"#)
            // The sentinel, over the same link after it: bob drops alice, and shard 0 deletes the view.
            try await f.list("bob", "contacts", [])
            try await bob.waitForDeletion(alice)
            #expect(bob.views(alice).allSatisfy { $0.status == nil }, "bob never became alice's contact: \(bob.describe(alice))")
        }
    }

    @Test("users read each shard's status on every broker, and neither read nor write under bridge/fed or bridge/route")
    func accessControl() async throws {
        try await Federation.run(roles: Self.roles) { f in
            let alice = f.id("alice")
            try await f.list("alice", "contacts", ["bob"])  // retained on broker 0: alice's, not carol's to read
            try await f.list("bob", "contacts", ["alice", "carol"])
            let bob = try await f.viewer("bob")
            try await bob.waitFor(alice, "bob's view of alice") { $0.status == "offline" }
            // carol (broker 2) subscribes to everything a user might try on broker 0.
            let snoop = try await f.client("carol", broker: 0)
            let seen = try await Recorder(client: snoop, filters: [
                "presence/v1/bridge/#", "presence/v1/in/+/contacts", "presence/v1/out/\(f.id("carol"))/+",
            ])
            for shard in 1..<Federation.size {
                try await seen.waitFor(f.topics.shardStatusTopic(shard)) { $0.contains("online") }
            }
            try await seen.waitFor(f.topics.linkTopic(from: 1, to: 0)) { $0 == "1" }
            // The sentinel: carol's own input topic is hers to read, so a list she publishes on
            // broker 0 comes back to her after everything the broker would have sent before it.
            try await f.send(snoop, "\(f.id("carol"))/contacts", "[]")
            try await seen.waitFor("presence/v1/in/\(f.id("carol"))/contacts") { $0 == "[]" }
            let forbidden = seen.topics.filter { $0.contains("/bridge/fed/") || $0.contains("/bridge/route/") || $0.contains("/in/\(alice)/") }
            #expect(forbidden.isEmpty, "\(forbidden)")

            // Nor may a user write there: a forged routed view of alice for bob, on broker 0.
            try await snoop.publish(MQTTMessage(topic: f.topics.routedViewTopic(home: 1, viewer: .init(f.id("bob"))!, target: .init(alice)!),
                                                payload: Array(#"{"user":"\#(alice)","status":"online","devices":[]}"#.utf8),
                                                qos: .atLeastOnce, retain: true))
            await snoop.waitForPublishes()
            // The sentinel, over the same link after it: alice comes online, as shard 0 decides.
            _ = try await f.device("alice", "phone", session: "s1")
            try await bob.waitFor(alice, "alice online, decided by her shard") { ($0["devices"] as? [Any])?.count == 1 }
            // (Online with no devices: a view the bridge never writes.)
            #expect(!bob.views(alice).contains { $0.status == "online" && ($0["devices"] as? [Any])?.isEmpty == true },
                    "the forged view never reached bob: \(bob.describe(alice))")
        }
    }
}

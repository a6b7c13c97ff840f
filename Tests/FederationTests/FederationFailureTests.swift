import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

/// Faults of one part of the federation, each recovered, and the views exact afterwards for a
/// fresh subscriber on every viewer's home broker. alice is homed at broker 0, bob at 1, carol at 2.
@Suite("Faults in a federation of three brokers", .serialized)
struct FederationFailureTests {
    static let roles = ["alice": 0, "bob": 1, "carol": 2]

    /// Every viewer's fresh view of every target it should hold, as (status, has last seen).
    private func expectExact(_ f: Federation, _ expected: [String: [String: String]], _ what: String) async throws {
        for (viewer, targets) in expected {
            let fresh = try await f.viewer(viewer)
            let ids = Set(targets.keys.map { f.id($0) })
            do {
                try await waitUntil(timeout: .seconds(30), "\(what): \(viewer)'s views") {
                    fresh.targets == ids && targets.allSatisfy { fresh.latest(f.id($0.key))?.status == $0.value }
                }
            } catch {
                let held = fresh.targets.sorted().map { "\($0): \(fresh.describe($0))" }
                throw ChildProcessError(message: "\(error): expected \(targets), held \(held)")
            }
            await fresh.client.disconnect()
        }
    }

    @Test("kill -9 of a shard while its views change, lists changed while it is down: restarted, it reconciles only its own views")
    func shardCrash() async throws {
        try await Federation.run(roles: Self.roles) { f in
            try await f.settings("alice", #"{"showLastSeen":"everyone"}"#)
            try await f.list("alice", "contacts", ["bob"])
            try await f.list("bob", "contacts", ["alice", "carol"])
            try await f.list("carol", "watch", ["alice"])
            let phone = try await f.device("alice", "phone", session: "s1")
            _ = try await f.device("carol", "tablet", session: "c1", status: "away")
            let bob = try await f.viewer("bob")
            try await bob.waitFor(f.id("alice"), "alice online") { $0.status == "online" }
            try await bob.waitFor(f.id("carol"), "carol away") { $0.status == "away" }

            // Changes in flight, then the crash of alice's shard.
            for status in ["away", "online", "away"] {
                try await f.send(phone, "\(f.id("alice"))/phone/state", #"{"status":"\#(status)","session":"s1"}"#)
            }
            await f.killShard(0)
            // While it is down: alice goes offline, carol stops watching her, alice starts
            // watching carol (a list from broker 0 that shard 2 takes from the link).
            try await f.send(phone, "\(f.id("alice"))/phone/state", #"{"status":"offline","session":"s1"}"#)
            try await f.list("carol", "watch", [])
            try await f.list("alice", "watch", ["carol"])
            try await f.startShard(0)
            try await f.waitUntilShardOnline(0)

            try await expectExact(f, [
                "bob": ["alice": "offline", "bob": "offline", "carol": "away"],
                "carol": ["carol": "away"],
                "alice": ["alice": "offline", "bob": "offline", "carol": "away"],
            ], "after the shard's restart")
            #expect(bob.latest(f.id("alice"))?.lastSeen != nil)
        }
    }

    @Test("a shard that lost its store reads back only its own views and deletes none of another shard's")
    func shardWithoutStore() async throws {
        try await Federation.run(roles: Self.roles) { f in
            try await f.list("alice", "contacts", ["bob", "carol"])
            try await f.list("bob", "contacts", ["alice"])
            _ = try await f.device("bob", "phone", session: "b1")
            _ = try await f.device("alice", "phone", session: "a1", status: "away")
            let alice = try await f.viewer("alice")
            try await alice.waitFor(f.id("bob"), "alice sees bob, a view decided by shard 1") { $0.status == "online" }
            try await alice.waitFor(f.id("carol"), "alice sees carol") { $0.status == "offline" }
            await f.killShard(0)
            try FileManager.default.removeItem(atPath: f.folder + "/shard-0")
            try await f.list("carol", "contacts", ["alice"])  // a view of shard 0 that must appear
            try await f.startShard(0)
            try await f.waitUntilShardOnline(0)
            try await expectExact(f, [
                "alice": ["alice": "away", "bob": "online", "carol": "offline"],
                "bob": ["alice": "away", "bob": "online"],
                "carol": ["alice": "away", "carol": "offline"],
            ], "after the read-back")
        }
    }

    @Test("kill -9 of a broker: the links say so on the other brokers; restarted, its silent devices go offline by liveness")
    func brokerCrash() async throws {
        try await Federation.run(roles: Self.roles, heartbeatInterval: 2) { f in
            try await f.settings("alice", #"{"showLastSeen":"everyone"}"#)
            try await f.list("bob", "contacts", ["alice"])
            try await f.list("alice", "contacts", ["bob"])
            let phone = try await f.device("alice", "phone", session: "s1")
            let heartbeats = Task {
                while !Task.isCancelled {
                    try? await f.send(phone, "\(f.id("alice"))/phone/heartbeat", #"{"session":"s1"}"#)
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            let bob = try await f.viewer("bob")
            try await bob.waitFor(f.id("alice"), "alice online") { $0.status == "online" }
            let links = try await Recorder(client: f.client("bob"), filter: "presence/v1/bridge/links/+/+")
            try await links.waitFor(f.topics.linkTopic(from: 0, to: 1)) { $0 == "1" }

            try await f.broker(0).save()
            heartbeats.cancel()
            _ = await heartbeats.value
            await f.broker(0).kill()      // no will of alice's phone is ever published
            await phone.abortConnection()
            try await links.waitFor(f.topics.linkTopic(from: 0, to: 1), timeout: .seconds(30)) { $0 == "0" }
            #expect(bob.latest(f.id("alice"))?.status == "online", "stale while broker 0 is away, and the link says so")

            try await f.broker(0).restart()
            try await links.waitFor(f.topics.linkTopic(from: 0, to: 1), timeout: .seconds(30)) { $0 == "1" }
            try await bob.waitFor(f.id("alice"), timeout: .seconds(30), "alice offline by liveness") { $0.status == "offline" && $0.lastSeen != nil }
            try await expectExact(f, [
                "bob": ["alice": "offline", "bob": "offline"],
                "alice": ["alice": "offline", "bob": "offline"],
            ], "after the broker's restart")
        }
    }
}

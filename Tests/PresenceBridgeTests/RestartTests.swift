import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

/// The bridge as a real process: crashes, restarts, replay and shutdown.
@Suite("Restarts and durability")
struct RestartTests {
    @Test("a late subscriber gets its whole list at once from the retained views")
    func lateSubscriber() async throws {
        try await BridgeFixture.run { fixture in
            try await fixture.contacts("bob", ["alice", "carol"])
            try await fixture.watch("bob", ["dave"])
            _ = try await fixture.device("alice", "phone", session: "a1")
            _ = try await fixture.device("carol", "phone", session: "c1", status: "away")
            let early = try await fixture.viewer("bob")
            try await early.waitFor("carol", "carol away") { $0.status == "away" }
            try await early.waitFor("alice", "alice online") { $0.status == "online" }
            let late = try await fixture.viewer("bob")
            try await waitUntil("the whole list at once") { late.targets == ["alice", "bob", "carol", "dave"] }
            #expect(late.latest("alice")?.status == "online")
            #expect(late.latest("dave")?.status == "offline", "a user never seen shows offline to a permitted viewer")
        }
    }

    @Test("kill -9, a will while the bridge is down, restart: views converge and last seen is kept")
    func crashAndRestart() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.1 }, startBridge: false) { fixture in
            var bridge = try await BridgeProcess.start(fixture)
            let bob = try await fixture.bobWatchesAlice()
            try await BridgeProcess.waitUntilOnline(fixture)
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await fixture.send(phone, "alice/phone/state", #"{"status":"offline","session":"s1"}"#)
            let firstSeen = try #require(try await bob.waitFor("alice", "alice offline") { $0.lastSeen != nil }.lastSeen)
            let second = try await fixture.device("alice", "phone", session: "s2", clientID: "alice-phone-2")
            try await bob.waitFor("alice", "alice online again") { $0.status == "online" }

            await bridge.kill()
            await second.abortConnection()   // the will lands while the bridge is down
            try await fixture.contacts("carol", ["alice"])  // and carol starts watching alice
            bridge = try await BridgeProcess.start(fixture)
            defer { Task { [bridge] in _ = await bridge.terminate() } }
            let converged = try await bob.waitFor("alice", timeout: .seconds(30), "alice offline after restart") { $0.status == "offline" }
            let lastSeen = try #require(converged.lastSeen)
            #expect(lastSeen >= firstSeen, "last seen never moves backwards")
            let carol = try await fixture.viewer("carol")
            try await carol.waitFor("alice", "carol's new view of alice") { $0.status == "offline" }
            _ = await bridge.terminate()
        }
    }

    @Test("stopped cleanly, a will while the bridge is down, restart: last seen is the device's last live message")
    func cleanStopCarriesPresence() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.1 }, startBridge: false) { fixture in
            var bridge = try await BridgeProcess.start(fixture)
            try await BridgeProcess.waitUntilOnline(fixture)
            let bob = try await fixture.bobWatchesAlice()
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await fixture.send(phone, "alice/phone/state", #"{"status":"offline","session":"s1"}"#)
            let firstSeen = try #require(try await bob.waitFor("alice", "alice offline") { $0.lastSeen != nil }.lastSeen)
            let second = try await fixture.device("alice", "phone", session: "s2", clientID: "alice-phone-2")
            try await bob.waitFor("alice", "alice online again") { $0.status == "online" }
            try await fixture.send(second, "alice/phone/heartbeat", #"{"session":"s2"}"#)
            let lastHeartbeat = Date()

            #expect(await bridge.terminate(grace: .seconds(10)) == 0)
            await second.abortConnection()   // the will lands while the bridge is down
            bridge = try await BridgeProcess.start(fixture)
            defer { Task { [bridge] in _ = await bridge.terminate() } }
            let converged = try await bob.waitFor("alice", timeout: .seconds(30), "alice offline after restart") { $0.status == "offline" }
            let lastSeen = try #require(converged.lastSeen.flatMap(parseISO8601))
            #expect(lastSeen > (parseISO8601(firstSeen) ?? .distantFuture), "later than the previous offline")
            #expect(lastSeen <= lastHeartbeat.addingTimeInterval(0.5), "the last live message before the gap")
            _ = await bridge.terminate()
        }
    }

    @Test("lists changed while the bridge is down apply on restart, with no view published mid-replay")
    func listsWhileDown() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            var bridge = try await BridgeProcess.start(fixture)
            try await BridgeProcess.waitUntilOnline(fixture)
            try await fixture.contacts("alice", ["bob", "carol"])
            try await fixture.contacts("bob", ["alice"])
            try await fixture.contacts("carol", ["alice"])
            let bob = try await fixture.viewer("bob")
            let carol = try await fixture.viewer("carol")
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await fixture.send(phone, "alice/phone/activity", #"{"type":"busy","reason":"focus","ttl":0}"#)
            try await bob.waitFor("alice", timeout: .seconds(30), "bob sees alice busy") { $0.activity != nil }
            try await carol.waitFor("alice", "carol sees alice") { $0.status == "online" }

            _ = await bridge.terminate()
            try await fixture.contacts("bob", [])          // bob stops listing alice: his view must go
            try await fixture.blocked("alice", ["carol"])  // alice blocks carol: her view must be emptied
            for status in ["away", "online", "away"] {      // several retained states of one device: only the last counts
                try await fixture.send(phone, "alice/tablet/state", #"{"status":"\#(status)","session":"t1"}"#)
            }
            let carolBefore = carol.payloads("alice").count
            bridge = try await BridgeProcess.start(fixture)
            defer { Task { [bridge] in _ = await bridge.terminate() } }
            try await bob.waitForDeletion("alice", timeout: .seconds(30))
            try await carol.waitFor("alice", timeout: .seconds(30), "carol blocked") { $0.fieldNames == ["user"] }
            let alice = try await fixture.viewer("alice")
            let selfView = try await alice.waitFor("alice", "alice's own view") { $0.devices?.count == 2 }
            #expect(selfView.devices?.first?["status"] as? String == "online", "phone")
            #expect(selfView.devices?.last?["status"] as? String == "away", "tablet: the last retained state")
            #expect(carol.payloads("alice").count == carolBefore + 1, "one final view, nothing mid-replay: \(carol.describe("alice"))")
            _ = await bridge.terminate()
        }
    }

    @Test("SIGTERM sets bridge/status offline and exits cleanly")
    func sigtermGoesOffline() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            let bridge = try await BridgeProcess.start(fixture)
            let status = try await ViewRecorder(client: try await fixture.client("alice"), filter: "presence/v1/bridge/status")
            let online = try await status.waitFor("status", timeout: .seconds(30), "bridge online") { $0.status == "online" }
            #expect(online["heartbeatInterval"] as? Double == 30)
            #expect(online["startedAt"] as? String != nil && online["version"] as? String != nil)
            let exitStatus = await bridge.terminate(grace: .seconds(10))
            #expect(exitStatus == 0)
            try await status.waitFor("status", "bridge offline") { $0.status == "offline" }
        }
    }

    @Test("killed without a goodbye, the bridge's will sets bridge/status offline")
    func bridgeWill() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            let bridge = try await BridgeProcess.start(fixture)
            let status = try await ViewRecorder(client: try await fixture.client("alice"), filter: "presence/v1/bridge/status")
            try await status.waitFor("status", timeout: .seconds(30), "bridge online") { $0.status == "online" }
            await bridge.kill()
            try await status.waitFor("status", "bridge offline by its will") { $0.status == "offline" }
        }
    }
}

@Suite("Broker restarts")
struct BrokerRestartTests {
    @Test("after the broker restarts, the bridge reconnects, resynchronises and serves again")
    func brokerRestart() async throws {
        try await BridgeFixture.run { fixture in
            try await fixture.makeContacts("alice", "bob")
            let phone = try await fixture.device("alice", "phone", session: "s1")
            let bob = try await fixture.viewer("bob")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            let resyncs = try #require(fixture.service?.statistics.resyncs)

            try await fixture.broker.restart()
            try await waitUntil(timeout: .seconds(30), "the bridge resynchronised") {
                (fixture.service?.statistics.resyncs ?? 0) > resyncs && fixture.service?.isLive == true
            }
            #expect((fixture.service?.statistics.reconnects ?? 0) >= 1)
            // The device's client reconnects by itself; its next state goes through as usual.
            try await waitUntil(timeout: .seconds(30), "alice's connection is back") {
                (try? await phone.publish(MQTTMessage(topic: "presence/v1/in/alice/phone/state",
                    payload: Array(#"{"status":"away","session":"s1"}"#.utf8), qos: .atLeastOnce, retain: true))) != nil
            }
            try await bob.waitFor("alice", timeout: .seconds(30), "alice away after the broker restart") { $0.status == "away" }
        }
    }

    @Test("a device lost by silence stays offline when the broker replays its retained online state")
    func lostDeviceStaysLostAcrossResync() async throws {
        try await BridgeFixture.run(configure: { $0.heartbeatInterval = 0.4; $0.offlineGrace = 0.1 }) { fixture in
            let bob = try await fixture.bobWatchesAlice()
            // No will: a device whose connection is half-open, so only silence tells (a will would
            // replace the retained online state when the broker shuts down).
            try await fixture.send(fixture.client("alice"), "alice/phone/state", #"{"status":"online","session":"s1"}"#)
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            try await bob.waitFor("alice", "alice lost by silence") { $0.status == "offline" }
            let resyncs = try #require(fixture.service?.statistics.resyncs)

            try await fixture.broker.restart()
            try await waitUntil(timeout: .seconds(30), "the bridge resynchronised") {
                (fixture.service?.statistics.resyncs ?? 0) > resyncs && fixture.service?.isLive == true
            }
            // Sentinel: carol comes online for bob after the resync.
            // (bob's first connection may still be reconnecting: use a new one.)
            try await fixture.contacts("carol", ["bob"])
            try await fixture.send(try await fixture.client("bob"), "bob/contacts", #"["alice","carol"]"#)
            _ = try await fixture.device("carol", "phone", session: "c1")
            try await bob.waitFor("carol", timeout: .seconds(30), "carol online") { $0.status == "online" }
            let afterLoss = bob.views("alice").drop { $0.lastSeen == nil }
            #expect(afterLoss.allSatisfy { $0.status == "offline" }, "no flap back online: \(bob.describe("alice"))")
        }
    }

    @Test("after a broker restart a retained invalid input is answered once more, not twice")
    func oneErrorPerReplay() async throws {
        try await BridgeFixture.run { fixture in
            let errors = try await fixture.errors("alice")
            try await fixture.send(try await fixture.client("alice"), "alice/settings", "{")
            try await errors.waitForError { $0.hasSuffix("/settings") }
            let resyncs = try #require(fixture.service?.statistics.resyncs)
            try await fixture.broker.restart()
            try await waitUntil(timeout: .seconds(30), "the bridge resynchronised") {
                (fixture.service?.statistics.resyncs ?? 0) > resyncs && fixture.service?.isLive == true
            }
            // Sentinel: a live invalid input after the resync, answered to a new subscription (the
            // first one's client may still be reconnecting and would miss it: errors are QoS 0).
            let fresh = try await fixture.errors("alice")
            try await fixture.send(try await fixture.client("alice"), "alice/watch", "{", retain: false)
            try await fresh.waitForError(timeout: .seconds(30)) { $0.hasSuffix("/watch") }
            // One live answer, and at most one for the replay (the recorder's own reconnect may miss it).
            #expect(errors.all.filter { $0["topic"]?.hasSuffix("/settings") == true }.count <= 2, "\(errors.all)")
        }
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import PresenceBridge
import Testing

/// The faults a restart must survive, through real processes: after each one a fresh
/// subscriber to `out/#` reads exactly the views the contract implies (none missing, none
/// stale, none that should be gone), and no last seen that was shown moved backwards.
@Suite("Recovery from faults, exactly", .serialized)
struct RecoveryTests {
    /// 120 users with 10 contacts each: 1,320 views, every status change 11 of them.
    static let users = 120
    static let contacts = 10

    /// Resyncs decide 64 views at a time here, so that every recovery runs in many slices with
    /// inputs arriving between them, and a read-back asks for 300 views at a time (batches of
    /// viewers) instead of all 1,320 at once.
    static let slice = ["--resync-slice", "64", "--read-back-batch", "300"]
    /// The same for a bridge in-process.
    static func sliced(_ configuration: inout BridgeConfiguration) {
        configuration.resyncSlice = 64
        configuration.readBackBatch = 300
    }

    /// The population in place with a first burst ending on `final`, and a subscriber that saw
    /// the views become exact.
    private func populate(_ fixture: BridgeFixture, final: @escaping (String) -> String,
                          rounds: Int = 2) async throws -> (Population, RetainedViews) {
        let population = try await Population(fixture, users: Self.users, contacts: Self.contacts)
        let observer = try await RetainedViews(fixture)
        try await population.burst(rounds: rounds, final: final)
        try await observer.waitUntilExact(population.expectedViews, lastSeenUsers: population.usersWithLastSeen)
        return (population, observer)
    }

    @Test("kill -9 of the bridge mid-burst, then changes while it is down and while it catches up: the restart converges exactly from its checkpoint")
    func bridgeKilledMidBurst() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            let bridge = Locked(try await BridgeProcess.start(fixture, extra: Self.slice))
            fixture.onTearDown { _ = await bridge.value.terminate() }
            try await BridgeProcess.waitUntilOnline(fixture)
            let (population, observer) = try await populate(fixture) { $0.hasSuffix("7") ? "offline" : "online" }

            let before = observer.messageCount
            let burst = Task { try await population.burst(rounds: 6) { $0.hasSuffix("3") ? "offline" : "away" } }
            try await waitUntil(timeout: .seconds(30), "the burst's views are flowing") { observer.messageCount > before + 800 }
            await bridge.value.kill()
            _ = try await burst.value
            try await population.setContacts("u0000", ["u0001", "u0002"])  // four of its views must go
            await population.waitForPublishes()

            let restarted = try await BridgeProcess.start(fixture, extra: Self.slice)
            bridge.withLock { $0 = restarted }
            // During the replay and catch-up; not the users who went offline while the bridge was
            // down: a change of theirs could overwrite the retained offline before the bridge
            // subscribes, and then no bridge could know that they were ever offline.
            try await population.burst(rounds: 3, of: { !$0.hasSuffix("3") }) { $0.hasSuffix("5") ? "offline" : "online" }
            try await BridgeProcess.waitUntilOnline(fixture)
            let fresh = try await RetainedViews(fixture)
            try await fresh.waitUntilExact(population.expectedViews, lastSeenUsers: population.usersWithLastSeen)
            #expect(observer.lastSeenMovedBackwards.isEmpty)
            let stats = try await bridgeStats(fixture) { $0["resyncsFromCheckpoint"] as? Int == 1 }
            #expect(stats["resyncsReadBack"] as? Int == 0, "the record was trusted: no read-back of the views")
            #expect((stats["retainedUnchanged"] as? Int ?? 0) >= Self.users - 1,
                    "the retained lists applied before the crash were skipped unparsed (u0000's new one was not)")
            await fresh.close()
            await observer.close()
        }
    }

    @Test("kill -9 of mosquitto after it saved some views and not others: the bridge republishes what the broker lost")
    func brokerKilledAfterSave() async throws {
        try await BridgeFixture.run(configure: Self.sliced) { fixture in
            let (population, observer) = try await populate(fixture) { $0.hasSuffix("5") ? "offline" : "online" }
            try await waitUntilCheckpointed(fixture)
            try await fixture.broker.save()
            let saved = population.expectedViews
            let savedLastSeen = population.usersWithLastSeen

            // After the save: 30 users change (330 views), then the broker crashes and forgets them.
            for user in population.users.prefix(30) { try await population.setStatus(user, "away") }
            try await observer.waitUntilExact(population.expectedViews, lastSeenUsers: population.usersWithLastSeen)
            await observer.close()
            let resyncs = try #require(fixture.service?.statistics.resyncs)
            let repairedBefore = try #require(fixture.service?.statistics.viewsRepaired)
            await fixture.broker.kill()
            try await fixture.broker.restart()
            try await waitUntil(timeout: .seconds(60), "the bridge resynchronised") {
                (fixture.service?.statistics.resyncs ?? 0) > resyncs && fixture.service?.isLive == true
            }
            // The broker's retained inputs are back to the save too: the views must be as then.
            let fresh = try await RetainedViews(fixture)
            try await fresh.waitUntilExact(saved, lastSeenUsers: savedLastSeen)
            let statistics = try #require(fixture.service?.statistics)
            #expect(statistics.resyncsReadBack == 1, "the first start, with a new store")
            #expect(statistics.resyncsFromCheckpoint == 1, "the reconnect, from the record")
            let repaired = statistics.viewsRepaired - repairedBefore
            #expect(repaired >= 330, "the 330 views changed after the save")
            #expect(repaired < saved.count / 2, "only what the broker lost, not all \(saved.count) views: \(repaired)")
            await fresh.close()
        }
    }

    @Test("mosquitto restarted with nothing retained: the bridge reads back nothing and republishes every view")
    func brokerWithoutPersistence() async throws {
        try await BridgeFixture.run(configure: Self.sliced) { fixture in
            let (population, observer) = try await populate(fixture) { $0.hasSuffix("1") ? "offline" : "online" }
            let expected = population.expectedViews
            await observer.close()
            let readBacks = try #require(fixture.service?.statistics.resyncsReadBack)

            await fixture.broker.stopProcess()
            fixture.broker.deletePersistence()
            try await fixture.broker.restart()
            try await waitUntil(timeout: .seconds(60), "the bridge read the (empty) broker back") {
                (fixture.service?.statistics.resyncsReadBack ?? 0) > readBacks && fixture.service?.isLive == true
            }
            let fresh = try await RetainedViews(fixture)
            try await fresh.waitUntilExact(expected, lastSeenUsers: population.usersWithLastSeen)
            await fresh.close()
        }
    }

    @Test("the bridge's store deleted between runs: the full read-back keeps every view and last seen, republishing nothing")
    func storeDeleted() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            let bridge = Locked(try await BridgeProcess.start(fixture, extra: Self.slice))
            fixture.onTearDown { _ = await bridge.value.terminate() }
            try await BridgeProcess.waitUntilOnline(fixture)
            let (population, observer) = try await populate(fixture, final: { $0.hasSuffix("2") || $0.hasSuffix("4") ? "offline" : "away" }, rounds: 3)
            let expected = population.expectedViews

            #expect(await bridge.value.terminate(grace: .seconds(10)) == 0)
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: fixture.configuration.dataDirectory + "/presence.sqlite" + suffix)
            }
            let seen = observer.messageCount
            let restarted = try await BridgeProcess.start(fixture, extra: Self.slice)
            bridge.withLock { $0 = restarted }
            try await BridgeProcess.waitUntilOnline(fixture)
            let fresh = try await RetainedViews(fixture)
            try await fresh.waitUntilExact(expected, lastSeenUsers: population.usersWithLastSeen)
            let stats = try await bridgeStats(fixture) { $0["resyncsReadBack"] as? Int == 1 }
            #expect(stats["viewsRepaired"] as? Int == 0, "every view, last seen included, was rebuilt as it was")
            #expect(observer.messageCount == seen, "no view was published again")
            #expect(observer.lastSeenMovedBackwards.isEmpty)
            await fresh.close()
            await observer.close()
        }
    }

    @Test("a newer connection's session survives kill -9: the older connection's will, now retained, stays stale")
    func staleWillAfterCrash() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.1 }, startBridge: false) { fixture in
            let bridge = Locked(try await BridgeProcess.start(fixture))
            fixture.onTearDown { _ = await bridge.value.terminate() }
            try await BridgeProcess.waitUntilOnline(fixture)
            try await fixture.contacts("alice", ["bob"])
            try await fixture.contacts("carol", ["bob"])
            try await fixture.contacts("bob", ["alice", "carol"])
            let bob = try await fixture.viewer("bob")
            let first = try await fixture.device("alice", "phone", session: "s1", clientID: "alice-phone-a")
            let second = try await fixture.device("alice", "phone", session: "s2", clientID: "alice-phone-b")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            await first.abortConnection()  // its will (offline, s1) becomes the retained state
            let carol = try await fixture.device("carol", "phone", session: "c1")
            try await bob.waitFor("carol", "carol online: the will was handled before") { $0.status == "online" }

            await bridge.value.kill()
            let restarted = try await BridgeProcess.start(fixture)
            bridge.withLock { $0 = restarted }
            try await BridgeProcess.waitUntilOnline(fixture)
            try await fixture.send(second, "alice/phone/heartbeat", #"{"session":"s2"}"#)
            try await fixture.send(carol, "carol/phone/state", #"{"status":"away","session":"c1"}"#)
            try await bob.waitFor("carol", timeout: .seconds(30), "the sentinel after the restart") { $0.status == "away" }
            #expect(bob.latest("alice")?.status == "online", "alice is still online on s2: \(bob.describe("alice"))")
        }
    }

    /// The bridge's `bridge/stats` once `condition` holds (read as the operator).
    private func bridgeStats(_ fixture: BridgeFixture, _ condition: @escaping ([String: Any]) -> Bool) async throws -> [String: Any] {
        let client = try await fixture.client("presence-bridge", clientID: "stats-\(UUID().uuidString.prefix(8))")
        defer { Task { await client.disconnect() } }
        let stats = try await ViewRecorder(client: client, filter: "presence/v1/bridge/stats")
        return try await stats.waitFor("stats", timeout: .seconds(30), "bridge/stats", condition)
    }

    /// Waits until the in-process bridge's checkpoint covers every view it decided.
    private func waitUntilCheckpointed(_ fixture: BridgeFixture) async throws {
        try await waitUntil(timeout: .seconds(30), "the checkpoint covers every view") {
            guard let statistics = fixture.service?.statistics else { return false }
            return statistics.viewsSequence > 0 && statistics.checkpointSequence == statistics.viewsSequence
        }
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

/// Device presence end to end: wills, sessions, liveness, grace, aggregation.
@Suite("Device presence through a real broker")
struct DevicePresenceTests {
    @Test("a device's will shows it offline, with the last seen time of its last live message")
    func willShowsOffline() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.2 }) { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let before = Date()
            let phone = try await fixture.device("alice", "phone", session: "s1", platform: "mobile")
            let online = try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            #expect(online.deviceIDs == ["phone"])
            #expect(online.lastSeen == nil, "never offline yet, so no last seen")

            await phone.abortConnection()
            let offline = try await bob.waitFor("alice", "alice offline by her will") { $0.status == "offline" }
            #expect(offline.devices?.isEmpty == true)
            let lastSeen = try #require(offline.lastSeen.flatMap(parseISO8601))
            #expect(lastSeen >= before.addingTimeInterval(-1) && lastSeen <= Date())
        }
    }

    @Test("a stale will of an old session under another client id is ignored")
    func staleWillIgnored() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.1 }) { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let old = try await fixture.device("alice", "phone", session: "old", clientID: "alice-phone-1")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            let new = try await fixture.device("alice", "phone", session: "new", clientID: "alice-phone-2")
            await old.abortConnection()  // its will (session "old") now arrives after "new" went online
            // A sentinel on the new connection: an activity with a lease longer than the grace.
            try await fixture.send(new, "alice/phone/activity", #"{"type":"viewing","page":"/inbox","ttl":0.5}"#)
            try await bob.waitFor("alice", "the sentinel activity") { $0.activity != nil }
            try await bob.waitFor("alice", "the sentinel cleared after the grace") { $0.activity == nil }
            #expect(bob.viewsSinceOnline("alice").allSatisfy { $0.status == "online" }, "saw: \(bob.describe("alice"))")
        }
    }

    @Test("a silent device is lost after 2.5 heartbeat intervals and comes back with its next heartbeat")
    func livenessLossAndReturn() async throws {
        try await BridgeFixture.run(configure: { $0.heartbeatInterval = 0.4; $0.offlineGrace = 0.2 }) { fixture in
            let bob = try await fixture.bobWatchesAlice()
            // Taken before the device speaks: the bridge cannot start its clock any earlier.
            let silentSince = Date()
            let phone = try await fixture.device("alice", "phone", session: "s1", status: "away")
            try await bob.waitFor("alice", "alice away") { $0.status == "away" }
            try await bob.waitFor("alice", "alice lost by silence") { $0.status == "offline" }
            #expect(Date().timeIntervalSince(silentSince) >= 1.0, "lost only after 2.5 intervals (1 s)")
            try await fixture.send(phone, "alice/phone/heartbeat", #"{"session":"s1"}"#)
            try await bob.waitFor("alice", "alice back in her previous status") { $0.status == "away" }
        }
    }

    @Test("a device that said offline is not revived by a heartbeat")
    func explicitOfflineStaysOffline() async throws {
        try await BridgeFixture.run { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            try await fixture.send(phone, "alice/phone/state", #"{"status":"offline","session":"s1"}"#)
            try await bob.waitFor("alice", "alice offline at once") { $0.status == "offline" }
            try await fixture.send(phone, "alice/phone/heartbeat", #"{"session":"s1"}"#)
            try await fixture.send(phone, "alice/phone/activity", #"{"type":"typing"}"#)
            // Sentinel on the same connection: another device of alice comes online.
            try await fixture.send(phone, "alice/tablet/state", #"{"status":"online","session":"t1"}"#)
            let view = try await bob.waitFor("alice", "the tablet online") { $0.status == "online" }
            #expect(view.deviceIDs == ["tablet"])
            #expect(view.activity == nil)
        }
    }

    @Test("a heartbeat alone publishes nothing")
    func heartbeatPublishesNothing() async throws {
        try await BridgeFixture.run { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            let before = bob.payloads("alice").count
            for _ in 0..<20 {
                try await fixture.send(phone, "alice/phone/heartbeat", #"{"session":"s1"}"#)
            }
            try await fixture.send(phone, "alice/phone/state", #"{"status":"online","session":"s1"}"#)  // no change either
            try await fixture.send(phone, "alice/phone/activity", #"{"type":"typing","conversationId":"c1"}"#)
            try await bob.waitFor("alice", "the sentinel activity") { $0.activity != nil }
            #expect(bob.payloads("alice").count == before + 1, "saw: \(bob.describe("alice"))")
        }
    }

    @Test("several devices aggregate: online beats away beats offline; devices sorted by id")
    func multiDevice() async throws {
        try await BridgeFixture.run { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let phone = try await fixture.device("alice", "phone", session: "p1", platform: "mobile")
            let desktop = try await fixture.device("alice", "desktop", session: "d1", status: "away", platform: "desktop")
            let both = try await bob.waitFor("alice", "two devices") { $0.devices?.count == 2 }
            #expect(both.status == "online")
            #expect(both.deviceIDs == ["desktop", "phone"])
            #expect(both.devices?.first?["platform"] as? String == "desktop")
            #expect(both.devices?.first?["status"] as? String == "away")
            try await fixture.send(phone, "alice/phone/state", #"{"status":"offline","session":"p1"}"#)
            let away = try await bob.waitFor("alice", "only the desktop") { $0.devices?.count == 1 }
            #expect(away.status == "away")
            try await fixture.send(desktop, "alice/desktop/state", #"{"status":"offline","session":"d1"}"#)
            try await bob.waitFor("alice", "alice offline") { $0.status == "offline" && $0.lastSeen != nil }
        }
    }

    @Test("a device that reconnects within the offline grace shows no flicker")
    func flappingWithinGrace() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 1.0 }) { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let first = try await fixture.device("alice", "phone", session: "s1")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            await first.abortConnection()
            let second = try await fixture.device("alice", "phone", session: "s2")
            // Sentinel: an activity whose lease ends after the grace would have.
            try await fixture.send(second, "alice/phone/activity", #"{"type":"busy","reason":"call","ttl":1.5}"#)
            try await bob.waitFor("alice", "the sentinel activity") { $0.activity != nil }
            try await bob.waitFor("alice", timeout: .seconds(15), "the sentinel cleared") { $0.activity == nil }
            #expect(bob.viewsSinceOnline("alice").allSatisfy { $0.status == "online" }, "saw: \(bob.describe("alice"))")
        }
    }

    @Test("a 17th device is rejected with an error and changes nothing")
    func seventeenthDevice() async throws {
        try await BridgeFixture.run { fixture in
            let alice = try await fixture.viewer("alice")
            let errors = try await fixture.errors("alice")
            let phone = try await fixture.device("alice", "d00", session: "s")
            for index in 1..<16 {
                try await fixture.send(phone, "alice/d\(String(format: "%02d", index))/state", "online")
            }
            try await alice.waitFor("alice", "16 devices") { $0.devices?.count == 16 }
            try await fixture.send(phone, "alice/d16/state", "online")
            let error = try await errors.waitForError { $0.contains("d16/state") }
            #expect(error["error"] != nil)
            // The engine's own code reaches the counter.
            #expect(fixture.service?.statistics.rejected[.tooManyDevices] == 1)
            try await fixture.send(phone, "alice/d00/activity", #"{"type":"typing"}"#)
            let view = try await alice.waitFor("alice", "the sentinel activity") { $0.activity != nil }
            #expect(view.devices?.count == 16)
        }
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

/// The bridge as a real process under Debian's libfaketime, its wall clock stepped while a user
/// heartbeats and types: deadlines run on the monotonic clock, the wall clock only stamps last
/// seen, and no last seen moves backwards.
@Suite("Wall clock stepped under a running bridge")
struct ClockStepProcessTests {
    static let libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

    @Test("+1 h, back, then −1 h: nobody goes offline, no activity sticks, no last seen moves backwards")
    func wallClockSteps() async throws {
        try await BridgeFixture.run(configure: { $0.heartbeatInterval = 1; $0.offlineGrace = 0.5 }, startBridge: false) { fixture in
            let clockFile = FileManager.default.temporaryDirectory.appendingPathComponent("faketime-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: clockFile) }
            func setWallOffset(_ offset: String) throws { try (offset + "\n").write(toFile: clockFile, atomically: true, encoding: .utf8) }
            try setWallOffset("+0")
            let bridge = try await BridgeProcess.start(fixture, environment: [
                "LD_PRELOAD": Self.libfaketime, "FAKETIME_TIMESTAMP_FILE": clockFile,
                "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            ], launcher: BridgeProcess.shellExec)
            fixture.onTearDown { _ = await bridge.terminate() }
            try await BridgeProcess.waitUntilOnline(fixture)
            try await fixture.contacts("bob", ["alice", "carol"])
            try await fixture.contacts("alice", ["bob"])
            try await fixture.contacts("carol", ["bob"])
            let bob = try await fixture.viewer("bob")

            // alice heartbeats three times per liveness window (2.5 s) throughout.
            let phone = try await fixture.device("alice", "phone", session: "a1")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            let heartbeats = Task {
                while !Task.isCancelled {
                    try? await fixture.send(phone, "alice/phone/heartbeat", #"{"session":"a1"}"#)
                    try? await Task.sleep(for: .milliseconds(300))
                }
            }
            defer { heartbeats.cancel() }

            // carol goes online and offline once per phase: each time a last seen by the bridge's clock.
            let laptop = try await fixture.client("carol", clientID: "carol-laptop")
            var carolSessions = 0
            func carolComesAndGoes() async throws -> Date {
                carolSessions += 1
                let session = "c\(carolSessions)"
                try await fixture.send(laptop, "carol/laptop/state", #"{"status":"online","session":"\#(session)"}"#)
                try await bob.waitFor("carol", "carol online (\(session))") { $0.status == "online" }
                try await fixture.send(laptop, "carol/laptop/state", #"{"status":"offline","session":"\#(session)"}"#)
                let view = try await bob.waitFor("carol", "carol offline (\(session))") { $0.status == "offline" }
                return try #require(view.lastSeen.flatMap(parseISO8601))
            }
            // alice types (the default lease, 3 s: longer than the liveness window); the wall
            // clock is stepped while "Typing…" shows, and it must clear all the same.
            func aliceTypes(_ phase: String, thenStepTo offset: String) async throws {
                try await fixture.send(phone, "alice/phone/activity", #"{"type":"typing","conversationId":"\#(phase)"}"#)
                try await bob.waitFor("alice", "alice typing in \(phase)") { ($0.activity?["conversationId"] as? String) == phase }
                try setWallOffset(offset)
                try await bob.waitFor("alice", timeout: .seconds(15), "alice's typing in \(phase) cleared by its lease") { $0.activity == nil }
            }

            let before = try await carolComesAndGoes()
            try await aliceTypes("before", thenStepTo: "+1h")
            let ahead = try await carolComesAndGoes()
            #expect(ahead.timeIntervalSince(before) > 3_000, "the bridge stamps by its (stepped) wall clock")

            try await aliceTypes("ahead", thenStepTo: "+0")
            let back = try await carolComesAndGoes()
            #expect(back >= ahead, "a step back does not move last seen backwards")

            try await aliceTypes("back", thenStepTo: "-1h")
            let behind = try await carolComesAndGoes()
            #expect(behind >= back, "nor does a second step back")

            // The sentinel: a change of alice's after everything, on the same connection.
            heartbeats.cancel()
            try await fixture.send(phone, "alice/phone/state", #"{"status":"away","session":"a1"}"#)
            try await bob.waitFor("alice", "the sentinel: alice away") { $0.status == "away" }

            let aliceStatuses = bob.viewsSinceOnline("alice").compactMap(\.status)
            #expect(!aliceStatuses.contains("offline"), "alice went offline while heartbeating: \(bob.describe("alice"))")
            for target in ["alice", "carol", "bob"] {
                let seen = bob.views(target).compactMap { $0.lastSeen.flatMap(parseISO8601) }
                #expect(seen == seen.sorted(), "last seen of \(target) moved backwards: \(bob.describe(target))")
            }
            #expect(await bridge.terminate(grace: .seconds(10)) == 0)
        }
    }
}

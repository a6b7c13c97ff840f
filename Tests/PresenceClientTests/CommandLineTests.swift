import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import PresenceClient
import PresenceCore
import Testing

/// `presence-bridge client` and `presence-bridge watch` as real processes (stdout a pipe, so
/// `watch` prints plain lines), driven through stdin, against a real broker and the bridge.
@Suite("The client and watch commands as processes", .serialized)
struct CommandLineTests {
    @Test("client: every command is confirmed, bridge errors are shown, quit goes offline at once")
    func clientDrivenThroughStdin() async throws {
        try await BridgeFixture.run(configure: { $0.maximumWatch = 2 }) { fixture in
            let recorder = try await fixture.viewer("bob")
            try await fixture.publish("bob", "bob/contacts", #"["alice"]"#)
            let client = try await fixture.process([
                "client", "--user", "alice", "--device", "laptop", "--platform", "desktop", "--heartbeat-interval", "1",
            ], user: "alice")
            _ = try await client.waitForLine(containing: "ok connected session=", timeout: .seconds(15))
            try await recorder.waitFor("alice", "online on the laptop") {
                $0["status"] as? String == "online"
                    && ($0["devices"] as? [[String: Any]])?.first?["platform"] as? String == "desktop"
            }

            client.writeLine("contacts bob,carol")
            _ = try await client.waitForLine(containing: "ok contacts bob,carol", timeout: .seconds(10))

            client.writeLine("away")
            _ = try await client.waitForLine(containing: "ok away", timeout: .seconds(10))
            try await recorder.waitFor("alice", "away") { $0["status"] as? String == "away" }

            client.writeLine("typing c1 to bob")
            _ = try await client.waitForLine(containing: "ok typing c1 to bob", timeout: .seconds(10))
            try await recorder.waitFor("alice", "typing") {
                ($0["activity"] as? [String: Any])?["conversationId"] as? String == "c1"
            }

            client.writeLine("busy In a meeting")
            _ = try await client.waitForLine(containing: "ok busy In a meeting", timeout: .seconds(10))
            try await recorder.waitFor("alice", "busy") {
                ($0["activity"] as? [String: Any])?["reason"] as? String == "In a meeting"
            }

            client.writeLine("settings lastSeen=everyone showActivity=nobody")
            _ = try await client.waitForLine(containing: "ok settings showLastSeen=everyone showActivity=nobody", timeout: .seconds(10))
            try await recorder.waitFor("alice", "activity hidden") { $0["activity"] == nil && $0["status"] != nil }

            client.writeLine("watch carol,dave,mallory")
            _ = try await client.waitForLine(containing: "ok watch carol,dave,mallory", timeout: .seconds(10))
            _ = try await client.waitForLine(containing: "error: presence/v1/in/alice/watch", timeout: .seconds(10))

            client.writeLine("frobnicate")
            _ = try await client.waitForLine(containing: "error: unknown command 'frobnicate'", timeout: .seconds(10))
            client.writeLine("settings lastSeen=friends")
            _ = try await client.waitForLine(containing: "error: invalid argument", timeout: .seconds(10))

            client.writeLine("quit")
            _ = try await client.waitForLine(containing: "bye", timeout: .seconds(10))
            #expect(try await client.waitForExit(timeout: .seconds(10)) == 0)
            // An explicit offline is immediate (the grace is 5 s here).
            try await recorder.waitFor("alice", timeout: .seconds(3), "offline") { $0["status"] as? String == "offline" }
        }
    }

    @Test("client: SIGKILL lets the will speak; SIGTERM goes offline gracefully")
    func clientKilledAndTerminated() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.3 }) { fixture in
            let recorder = try await fixture.viewer("bob")
            try await fixture.publish("bob", "bob/contacts", #"["alice","carol"]"#)
            try await fixture.publish("alice", "alice/contacts", #"["bob"]"#)

            let killed = try await fixture.process(["client", "--user", "alice", "--device", "phone"], user: "alice")
            _ = try await killed.waitForLine(containing: "ok connected", timeout: .seconds(15))
            try await recorder.waitFor("alice", "online") { $0["status"] as? String == "online" }
            await killed.kill()
            try await recorder.waitFor("alice", "offline through the will") {
                $0["status"] as? String == "offline" && $0["lastSeen"] != nil
            }

            let terminated = try await fixture.process(["client", "--user", "carol", "--device", "web"], user: "carol")
            _ = try await terminated.waitForLine(containing: "ok connected", timeout: .seconds(15))
            try await recorder.waitFor("carol", "online") { $0["status"] as? String == "online" }
            let status = await terminated.terminate(grace: .seconds(10))
            #expect(status == 0)
            #expect(terminated.outputLines.last == "bye")
            try await recorder.waitFor("carol", "offline") { $0["status"] as? String == "offline" }
        }
    }

    @Test("watch: one plain line per change, from the first views to a removal")
    func watchPrintsPlainLines() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.3 }) { fixture in
            try await fixture.publish("bob", "bob/contacts", #"["alice"]"#)
            let alice = try await fixture.sdkDevice("alice", "phone", platform: "mobile")
            try await alice.setContacts([uid("bob")])
            let passwordFile = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
            try "pw-bob\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: passwordFile) }
            let watch = try await fixture.process(["watch", "--user", "bob", "--password-file", passwordFile], user: "nobody")

            _ = try await watch.waitForLine(containing: "alice online devices=phone", timeout: .seconds(15))
            try await alice.typing(in: "c1", ttl: .seconds(30))
            _ = try await watch.waitForLine(containing: "alice online devices=phone activity=typing:c1", timeout: .seconds(10))
            try await alice.setStatus(.away)
            _ = try await watch.waitForLine(containing: "alice away devices=phone:away activity=typing:c1", timeout: .seconds(10))
            await alice.stop()
            let offline = try await watch.waitForLine(containing: "alice offline", timeout: .seconds(10))
            #expect(offline.contains("last-seen=20"))
            #expect(offline.hasSuffix("Z (Just now)"))
            try await fixture.publish("bob", "bob/contacts", "[]")
            _ = try await watch.waitForLine(containing: "alice removed", timeout: .seconds(10))
            let aliceLines = watch.outputLines.filter { $0.hasPrefix("alice ") }
            #expect(Set(aliceLines).count == aliceLines.count, "no line repeated: \(aliceLines)")
            #expect(await watch.terminate() == 0)
        }
    }
}

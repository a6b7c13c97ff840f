import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

@Suite("Bad input, rate limits and access control through a real broker")
struct InputErrorTests {
    @Test("each class of bad input gets its error on err/{user} and changes nothing")
    func badInputs() async throws {
        try await BridgeFixture.run(configure: { $0.maximumList = 3 }) { fixture in
            let bob = try await fixture.bobWatchesAlice()
            let errors = try await fixture.errors("alice")
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await bob.waitFor("alice", "alice online") { $0.status == "online" }
            let before = bob.payloads("alice").count
            let bad: [(String, String)] = [
                ("alice/phone/state", "{not json"),
                ("alice/phone/state", #"{"status":"sleeping"}"#),
                ("alice/phone/activity", #"{"type":"dancing"}"#),
                ("alice/settings", #"{"showOnlineStatus":"friends"}"#),
                ("alice/contacts", #"["a","b","c","d"]"#),
                ("alice/blocked", #"["bob","no/slash"]"#),
                ("alice/bad$device/state", "online"),
                ("alice/phone/state", String(repeating: " ", count: 1000) + "{"),
            ]
            for (suffix, payload) in bad {
                try await fixture.send(phone, suffix, payload, retain: false)
            }
            for (suffix, _) in bad {
                let error = try await errors.waitForError { $0 == "presence/v1/in/" + suffix }
                #expect((error["error"])?.isEmpty == false)
            }
            // Nothing changed: a sentinel shows the same view as before plus the sentinel only.
            try await fixture.send(phone, "alice/phone/activity", #"{"type":"typing"}"#)
            let view = try await bob.waitFor("alice", "the sentinel") { $0.activity != nil }
            #expect(view.status == "online")
            #expect(bob.payloads("alice").count == before + 1, "saw: \(bob.describe("alice"))")
            let stats = try #require(fixture.service?.statistics)
            #expect(stats.rejectedTotal >= bad.count)
        }
    }

    @Test("a user over the rate limit is throttled without affecting others")
    func rateLimit() async throws {
        try await BridgeFixture.run(configure: { $0.rateLimit = 5 }) { fixture in
            try await fixture.contacts("carol", ["bob"])
            try await fixture.contacts("bob", ["carol"])
            let bob = try await fixture.viewer("bob")
            let errors = try await fixture.errors("mallory")
            let flood = try await fixture.client("mallory")
            for _ in 0..<200 {
                try await flood.publish(MQTTMessage(topic: "presence/v1/in/mallory/bot/heartbeat", qos: .atMostOnce))
            }
            await flood.waitForPublishes()
            let error = try await errors.waitForError { $0.hasSuffix("/heartbeat") }
            #expect((error["error"])?.contains("per second") == true)
            #expect(errors.all.count < 20, "at most one error a second, got \(errors.all.count)")
            let carol = try await fixture.device("carol", "phone", session: "c1")
            try await bob.waitFor("carol", "carol served normally") { $0.status == "online" }
            _ = carol
            try await waitUntil("the rate-limited counter") {
                (fixture.service?.statistics.rejected[.rateLimited] ?? 0) > 0
            }
        }
    }

    @Test("the broker's ACL keeps a user out of another user's inputs and views")
    func accessControl() async throws {
        try await BridgeFixture.run { fixture in
            try await fixture.watch("carol", ["bob"])
            let carol = try await fixture.viewer("carol")
            let bobPhone = try await fixture.device("bob", "phone", session: "b1")
            try await carol.waitFor("bob", "bob online") { $0.status == "online" }
            let before = carol.payloads("bob").count

            let mallory = try await fixture.client("mallory")
            try await fixture.send(mallory, "bob/phone/state", #"{"status":"offline","session":"b1"}"#)
            try await fixture.send(mallory, "bob/contacts", #"["mallory"]"#)
            let spy = try await ViewRecorder(client: try await fixture.client("mallory"), filter: "presence/v1/out/bob/+")
            // Sentinel: bob changes status from his own connection.
            try await fixture.send(bobPhone, "bob/phone/state", #"{"status":"away","session":"b1"}"#)
            try await carol.waitFor("bob", "bob away") { $0.status == "away" }
            #expect(carol.payloads("bob").count == before + 1, "mallory's forged input was dropped: \(carol.describe("bob"))")
            #expect(spy.targets.isEmpty, "mallory read nothing of bob's views")
        }
    }

    @Test("bridge/stats carries the counters, for the bridge's account only")
    func statsForOperatorsOnly() async throws {
        try await BridgeFixture.run { fixture in
            let errors = try await fixture.errors("alice")
            try await fixture.send(try await fixture.client("alice"), "alice/phone/state", "{", retain: false)
            try await errors.waitForError { $0.hasSuffix("/state") }
            let curious = try await ViewRecorder(client: try await fixture.client("alice"), filter: "presence/v1/bridge/stats")
            let operators = try await ViewRecorder(client: try await fixture.client("presence-bridge"), filter: "presence/v1/bridge/stats")
            let stats = try await operators.waitFor("stats", "counters with the rejected input") {
                ($0["rejected"] as? [String: Any])?["invalid-json"] as? Int == 1
            }
            for counter in ["messagesIn", "inputsApplied", "viewsPublished", "viewsDeleted", "rejectedInputs",
                            "storeTransactions", "reconnects", "resyncs", "users", "devicesOnline"] {
                #expect(stats[counter] is Int, "\(counter) in \(stats)")
            }
            #expect(curious.payloads("stats").isEmpty, "a user cannot read bridge/stats")
        }
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import PresenceBridge
import Testing

/// Through a real broker and store: ids named in churned lists are forgotten once nobody names
/// them (and no stored row does), their numbers reused, and views stay exact, across a restart too.
@Suite("Interned ids follow the lists")
struct InternedIDsTests {
    static func quickForgetting(_ configuration: inout BridgeConfiguration) {
        configuration.checkpointInterval = 0.2
        configuration.tombstoneRetention = 0.2
    }

    @Test("churned lists leave the interned ids bounded; a user forgotten and named again shows exactly as one never seen, also after a restart")
    func churnedListsAreForgotten() async throws {
        try await BridgeFixture.run(configure: Self.quickForgetting) { fixture in
            let alice = try await fixture.viewer("alice")
            let rounds = 25
            for round in 0..<rounds {
                let list = (0..<20).map { "churn\(round)-\($0)" }
                try await fixture.contacts("alice", list)
                try await alice.waitFor("churn\(round)-19", "round \(round)'s views") { $0.status == "offline" }
            }
            // alice and her last list stay; the 480 ids of the earlier lists go.
            let service = try #require(fixture.service)
            try await waitUntil(timeout: .seconds(20), "the interned ids bounded; \(service.statistics.internedIDs) now") {
                service.statistics.internedIDs <= 1 + 20 && service.statistics.idsForgotten >= 20 * (rounds - 1)
            }

            // bob watches mallory, then stops; mallory is forgotten; carol names mallory again.
            let bob = try await fixture.viewer("bob")
            try await fixture.watch("bob", ["mallory"])
            try await bob.waitFor("mallory", "bob's view of mallory") { $0.status == "offline" }
            let forgottenBefore = service.statistics.idsForgotten
            try await fixture.watch("bob", [])
            try await bob.waitForDeletion("mallory")
            try await waitUntil(timeout: .seconds(20), "mallory forgotten") { service.statistics.idsForgotten > forgottenBefore }
            let carol = try await fixture.viewer("carol")
            try await fixture.watch("carol", ["mallory", "dave"])
            let mallory = try await carol.waitFor("mallory", "carol's view of mallory") { $0.status == "offline" }
            #expect(mallory.fieldNames == ["user", "status", "devices"] && mallory.devices?.isEmpty == true, "as a user never seen: \(mallory)")
            // The numbers were reused: views keep naming the right users after a restart from the store.
            let expected = [
                "presence/v1/out/alice/alice": "offline", "presence/v1/out/bob/bob": "offline",
                "presence/v1/out/carol/carol": "offline", "presence/v1/out/carol/mallory": "offline",
                "presence/v1/out/carol/dave": "offline",
            ].merging((0..<20).map { ("presence/v1/out/alice/churn\(rounds - 1)-\($0)", "offline") }) { $1 }
            try await fixture.stopBridge()
            try await fixture.startBridge()
            let fresh = try await RetainedViews(fixture)
            try await fresh.waitUntilExact(expected, lastSeenUsers: [])
            let phone = try await fixture.device("mallory", "phone", session: "g1")
            try await carol.waitFor("mallory", "mallory online through the restarted bridge") { $0.status == "online" }
            _ = phone
            await fresh.close()
        }
    }
}

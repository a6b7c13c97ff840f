import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import PresenceClient
import PresenceCore
import Synchronization
import Testing

func uid(_ text: String) throws -> UserID { try #require(UserID(text)) }

/// The SDK (PresenceDevice, PresenceViewer) against a real mosquitto and the real bridge.
@Suite("The PresenceClient SDK against a real broker and bridge", .serialized)
struct SDKPresenceTests {
    @Test("a device's presence, activity and going offline appear in a viewer's directory and updates")
    func presenceAppears() async throws {
        try await BridgeFixture.run { fixture in
            let bob = try await fixture.sdkViewer("bob")
            let updates = Mutex<[ViewUpdate]>([])
            let collector = Task {
                for await update in bob.viewUpdates { updates.withLock { $0.append(update) } }
            }
            defer { collector.cancel() }
            #expect(try await bob.setContacts([uid("alice")]) == .sent)

            let alice = try await fixture.sdkDevice("alice", "phone", platform: "mobile")
            let aliceID = try uid("alice")
            #expect(alice.connectionStatus.isConnected)
            // bob a contact of alice: he may see her activity and last-seen (the default settings).
            #expect(try await alice.setContacts([uid("bob")]) == .sent)
            try await waitUntil("bob sees alice online") { bob.directory[aliceID]?.status == .online }
            let view = try #require(bob.directory[aliceID])
            #expect(view.devices == [DeviceView(id: try #require(DeviceID("phone")), platform: "mobile", status: .online)])
            try await waitUntil("the update sequence delivers the same view") {
                updates.withLock { $0 }.contains(.updated(view))
            }

            try await alice.typing(in: "c1", to: [uid("bob")], ttl: .seconds(30))
            try await waitUntil("bob sees alice typing") { bob.directory[aliceID]?.activity?.kind == .typing }
            #expect(bob.directory[aliceID]?.activity == ActivityView(kind: .typing, detail: "c1"))
            #expect(bob.directory[aliceID]?.activity?.displayText == "Typing…")

            try await alice.setStatus(.away)
            try await waitUntil("bob sees alice away") { bob.directory[aliceID]?.status == .away }

            await alice.stop()
            #expect(alice.connectionStatus == .stopped)
            try await waitUntil("bob sees alice offline at once") { bob.directory[aliceID]?.status == .offline }
            let offline = try #require(bob.directory[aliceID])
            #expect(offline.lastSeen != nil)
            #expect(offline.activity == nil)
            #expect(offline.lastSeenText() == "Just now")
            #expect(offline.devices == [])
        }
    }

    @Test("a device that vanishes (socket closed, no DISCONNECT) goes offline through its will")
    func abortedDeviceGoesOfflineThroughItsWill() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.3 }) { fixture in
            let recorder = try await fixture.viewer("bob")
            try await fixture.publish("bob", "bob/contacts", #"["alice"]"#)
            let alice = try await fixture.sdkDevice("alice", "phone")
            try await alice.setContacts([uid("bob")])
            let session = try #require(alice.session)
            try await recorder.waitFor("alice", "online") { $0["status"] as? String == "online" }

            // What alice's will says, read back from the broker (a user may read its own inputs).
            let own = try await fixture.client("alice")
            let states = Mutex<[String]>([])
            let reader = Task {
                for await message in own.messages { states.withLock { $0.append(String(decoding: message.payload, as: UTF8.self)) } }
            }
            defer { reader.cancel() }
            _ = try await own.subscribe(["presence/v1/in/alice/phone/state"])
            try await waitUntil("the retained online state") { states.withLock { $0.last?.contains(session) ?? false } }

            await alice.abortConnection()
            try await recorder.waitFor("alice", "offline after the grace") {
                $0["status"] as? String == "offline" && $0["lastSeen"] != nil
            }
            try await waitUntil("the will on the state topic") {
                states.withLock { $0.last } == #"{"status":"offline","session":"\#(session)","reason":"lost"}"#
            }
        }
    }

    @Test("a dropped connection is restored with a new session and viewers see no offline inside the grace")
    func reconnectRestoresPresenceWithoutFlicker() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 3 }) { fixture in
            let recorder = try await fixture.viewer("bob")
            try await fixture.publish("bob", "bob/contacts", #"["alice"]"#)
            let alice = try await fixture.sdkDevice("alice", "phone")
            try await alice.setContacts([uid("bob")])
            let statuses = Mutex<[ConnectionStatus]>([])
            let watcher = Task {
                for await status in alice.connectionStatusUpdates { statuses.withLock { $0.append(status) } }
            }
            defer { watcher.cancel() }
            let first = try #require(alice.session)
            try await recorder.waitFor("alice", "online") { $0["status"] as? String == "online" }

            let dropped = ContinuousClock.now
            await alice.dropConnection()
            try await waitUntil("alice reconnects with a new session") {
                alice.session.map { $0 != first } ?? false
            }
            #expect(statuses.withLock { $0 }.contains { if case .reconnecting = $0 { true } else { false } })
            // Absence of an offline can only be checked once the grace has run out; then a marker
            // published after it proves every earlier view has been delivered.
            try await waitUntil("the offline grace has run out") { ContinuousClock.now - dropped > .seconds(3.5) }
            try await alice.viewing("/after-reconnect", ttl: .seconds(60))
            try await recorder.waitFor("alice", "the marker activity") {
                ($0["activity"] as? [String: Any])?["page"] as? String == "/after-reconnect"
            }
            #expect(!recorder.viewsSinceOnline("alice").contains { $0["status"] as? String == "offline" },
                    "views: \(recorder.describe("alice"))")
            #expect(recorder.latest("alice")?["status"] as? String == "online")
        }
    }

    @Test("after a broker restart the device and the viewer come back by themselves")
    func brokerRestart() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 5 }) { fixture in
            let bob = try await fixture.sdkViewer("bob")
            try await bob.setContacts([uid("alice")])
            let alice = try await fixture.sdkDevice("alice", "phone")
            let aliceID = try uid("alice")
            try await waitUntil("bob sees alice online") { bob.directory[aliceID]?.status == .online }
            let first = try #require(alice.session)

            try await fixture.broker.restart()
            try await waitUntil(timeout: .seconds(30), "alice reconnects with a new session") {
                alice.session.map { $0 != first } ?? false
            }
            try await waitUntil(timeout: .seconds(30), "bob reconnects") { bob.connectionStatus.isConnected }
            try await fixture.waitUntilBridgeLive()
            // A change after the restart reaches bob through his restored subscription.
            try await alice.setStatus(.away)
            try await waitUntil(timeout: .seconds(20), "bob sees alice away after the restart") {
                bob.directory[aliceID]?.status == .away
            }
        }
    }

    @Test("one subscription fills the directory with every target; a removed target leaves it")
    func directoryHoldsEveryTarget() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.3 }) { fixture in
            try await fixture.publish("bob", "bob/contacts", #"["alice","carol"]"#)
            try await fixture.publish("bob", "bob/watch", #"["dave","mallory"]"#)
            _ = try await fixture.sdkDevice("alice", "phone")
            let carol = try await fixture.sdkDevice("carol", "web", platform: "web")
            try await carol.setStatus(.away)
            let dave = try await fixture.sdkDevice("dave", "tablet")
            await dave.stop()
            let recorder = try await fixture.viewer("bob")
            try await recorder.waitFor("dave", "offline") { $0["status"] as? String == "offline" }
            try await recorder.waitFor("carol", "away") { $0["status"] as? String == "away" }

            let bob = try await fixture.sdkViewer("bob")
            let expected = try ["alice", "bob", "carol", "dave", "mallory"].map(uid)
            try await waitUntil("the directory holds every target") { bob.directory.targets == expected }
            let directory = bob.directory
            #expect(directory[try uid("alice")]?.status == .online)
            #expect(directory[try uid("carol")]?.status == .away)
            #expect(directory[try uid("carol")]?.devices?.first?.platform == "web")
            #expect(directory[try uid("dave")]?.status == .offline)
            // dave is only watched: bob sees what dave shows non-contacts (not his last-seen, by default).
            #expect(directory[try uid("dave")]?.lastSeen == nil)
            #expect(directory[try uid("bob")] != nil)

            // A new subscription starts with the whole directory, sorted.
            var iterator = bob.viewUpdates.makeAsyncIterator()
            var first: [UserID] = []
            for _ in expected {
                if let update = await iterator.next() { first.append(update.target) }
            }
            #expect(first == expected)

            try await bob.setWatchList([uid("dave")])
            try await waitUntil("mallory leaves the directory") { bob.directory[try uid("mallory")] == nil }
            let next = await iterator.next()
            #expect(next == .removed(try uid("mallory")))
        }
    }

    @Test("a heartbeat keeps a quiet device online past the bridge's liveness limit")
    func heartbeatsKeepTheDeviceAlive() async throws {
        try await BridgeFixture.run(configure: { $0.heartbeatInterval = 0.4; $0.offlineGrace = 0.2 }) { fixture in
            let recorder = try await fixture.viewer("bob")
            try await fixture.publish("bob", "bob/contacts", #"["alice"]"#)
            let started = ContinuousClock.now
            _ = try await fixture.sdkDevice("alice", "phone", heartbeat: .milliseconds(200))
            try await recorder.waitFor("alice", "online") { $0["status"] as? String == "online" }
            // 2.5 intervals = 1 s of silence would make alice lost; wait well past it.
            try await waitUntil("three liveness limits have passed") { ContinuousClock.now - started > .seconds(3) }
            try await fixture.publish("bob", "bob/watch", #"["carol"]"#)
            try await recorder.waitFor("carol", "the marker view") { _ in true }
            #expect(!recorder.viewsSinceOnline("alice").contains { $0["status"] as? String == "offline" },
                    "views: \(recorder.describe("alice"))")
        }
    }
}

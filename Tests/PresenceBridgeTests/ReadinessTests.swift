import BridgeTestSupport
import LocalBroker
import MQTT
import PresenceBridge
import Synchronization
import Testing

/// Ready means the resync's views were handed to the broker, not merely decided (`Readiness`).
@Suite("Readiness", .serialized, .timeLimit(.minutes(3)))
struct ReadinessTests {
    @Test("a cold start is ready only once every view its resync decided is handed to the broker, and bridge/status online reaches a subscriber after the last of them")
    func readyMeansHandedOver() async throws {
        let users = 300, contacts = 10
        try await BridgeFixture.run(configure: { $0.resyncSlice = 200 }, startBridge: false) { fixture in
            _ = try await Population(fixture, users: users, contacts: contacts)
            // One subscription to the views and the status: the broker delivers one connection's
            // publishes in order, so `online` comes after every view handed before it.
            let watcher = try await fixture.client("presence-bridge", clientID: "readiness-watcher")
            let order = Mutex<(views: Int, viewsBeforeOnline: Int?)>((0, nil))
            let reader = Task {
                for await message in watcher.messages {
                    order.withLock { order in
                        if message.topic == "presence/v1/bridge/status" {
                            if String(decoding: message.payload, as: UTF8.self).contains("\"online\""), order.viewsBeforeOnline == nil {
                                order.viewsBeforeOnline = order.views
                            }
                        } else if !message.retain {
                            order.views += 1
                        }
                    }
                }
            }
            defer { reader.cancel() }
            _ = try await watcher.subscribe(["presence/v1/out/+/+", "presence/v1/bridge/status"])

            let unsentWhenReady = Mutex<Int?>(nil)
            try await fixture.startBridge { service in
                service.readiness.observe { old, new in
                    guard new.isReady, !old.isReady else { return }
                    unsentWhenReady.withLock { $0 = $0 ?? service.viewsUnsent }
                }
            }
            let expected = users * (contacts + 1)
            #expect(unsentWhenReady.withLock { $0 } == 0, "no view of the resync was still waiting when it became ready")
            try await waitUntil(timeout: .seconds(30), "bridge/status online reaches the watcher") {
                order.withLock { $0.viewsBeforeOnline } != nil
            }
            #expect(order.withLock { $0.viewsBeforeOnline } == expected, "every view arrived before online")
            let live = try #require(fixture.service?.readiness.current)
            #expect(live.isReady && live.reason == "ready")
            #expect((live.lastResync?.milliseconds ?? -1) >= 0)
        }
    }
}

import BridgeTestSupport
import LocalBroker
import PresenceClient
import PresenceCore
import PresenceWire
import Testing

/// The Swift SDK given the broker list: each user's device and viewer find their home broker.
@Suite("The SDK in a federation")
struct FederatedSDKTests {
    @Test("a device and a viewer configured with the broker list connect to their homes and see each other")
    func sdkPicksTheHome() async throws {
        try await Federation.run(roles: ["alice": 0, "bob": 2]) { f in
            let alice = try #require(UserID(f.id("alice")))
            let bob = try #require(UserID(f.id("bob")))
            let device = PresenceDevice(configuration: PresenceConfiguration(brokers: f.homes, user: alice, password: "pw-\(alice)"),
                                        device: DeviceID("phone")!, platform: "mobile")
            let viewer = PresenceViewer(configuration: PresenceConfiguration(brokers: f.homes, user: bob, password: "pw-\(bob)"))
            #expect(PresenceConfiguration(brokers: f.homes, user: alice).brokerURL == f.broker(0).url)
            try await device.start()
            try await viewer.start()
            _ = try await viewer.setContacts([alice])
            try await waitUntil(timeout: .seconds(20), "bob's SDK sees alice online, decided by shard 0") {
                viewer.directory[alice]?.status == .online
            }
            await device.stop()
            try await waitUntil(timeout: .seconds(20), "bob's SDK sees alice offline") { viewer.directory[alice]?.status == .offline }
            await viewer.stop()
        }
    }
}

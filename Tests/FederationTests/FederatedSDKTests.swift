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

/// `presence-bridge home` and the federation options of `run`, as a user types them.
@Suite("The command line in a federation")
struct FederationCommandLineTests {
    let list = "mqtt://10.0.0.1:1883,mqtt://10.0.0.2:1883,mqtt://10.0.0.3:1883"

    @Test("home prints each user's home broker, by URL or index, as HomeBrokers computes it")
    func home() async throws {
        let byURL = try await ChildProcess.spawn(BridgeProcess.executable, ["home", "--brokers", list, "alice"])
        #expect(try await byURL.waitForExit(timeout: .seconds(30)) == 0)
        #expect(byURL.outputLines == ["mqtt://10.0.0.3:1883"])
        let byIndex = try await ChildProcess.spawn(BridgeProcess.executable, ["home", "--index", "--brokers", list, "alice", "bob", "carol"])
        #expect(try await byIndex.waitForExit(timeout: .seconds(30)) == 0)
        #expect(byIndex.outputLines == ["alice 2", "bob 0", "carol 1"])
        let bad = try await ChildProcess.spawn(BridgeProcess.executable, ["home", "--brokers", list, "not/an/id"])
        #expect(try await bad.waitForExit(timeout: .seconds(30)) != 0)
        #expect(bad.errorLines.joined().contains("not a valid user id"))
    }

    @Test("run refuses a shard outside the list, and a list without a shard, before it connects")
    func runOptions() async throws {
        let outside = try await ChildProcess.spawn(BridgeProcess.executable, ["run", "--shard", "3", "--brokers", list])
        #expect(try await outside.waitForExit(timeout: .seconds(30)) != 0)
        #expect(outside.errorLines.joined().contains("--shard 3 is not in the list of 3 brokers"), "\(outside.errorLines)")
        let noShard = try await ChildProcess.spawn(BridgeProcess.executable, ["run", "--brokers", list])
        #expect(try await noShard.waitForExit(timeout: .seconds(30)) != 0)
        #expect(noShard.errorLines.joined().contains("--brokers needs --shard"), "\(noShard.errorLines)")
    }
}

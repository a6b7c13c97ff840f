import Foundation
import LocalBroker
import Logging
import MQTT
import PresenceBridge
import PresenceClient
import PresenceCore
import Synchronization
import Testing

/// Everyone the tests log in as; each user's password is "pw-" + name.
let testUsers = ["alice", "bob", "carol", "dave", "mallory"]

/// A real mosquitto (the shipped mosquitto.conf and ACL through LocalBroker) with the real bridge
/// running in-process, and helpers that make SDK devices and viewers, raw MQTT clients and
/// `presence-bridge` processes against it.
///
/// (Adapted from PresenceBridgeTests' BridgeFixture: test targets cannot import each other.)
/// `run` always stops every device, viewer, client, process, the bridge and the broker,
/// also when the test fails.
final class ClientFixture: Sendable {
    let broker: LocalBroker
    let configuration: BridgeConfiguration
    private let running = Mutex<(service: PresenceBridgeService, task: Task<Void, any Error>)?>(nil)
    private let clients = Mutex<[MQTTClient]>([])
    private let devices = Mutex<[PresenceDevice]>([])
    private let viewers = Mutex<[PresenceViewer]>([])
    private let processes = Mutex<[ChildProcess]>([])

    private init(broker: LocalBroker, configuration: BridgeConfiguration) {
        self.broker = broker
        self.configuration = configuration
    }

    /// Runs `body` against a fresh broker and bridge; `configure` adjusts the bridge first.
    static func run(
        configure: (inout BridgeConfiguration) -> Void = { _ in },
        _ body: (ClientFixture) async throws -> Void
    ) async throws {
        var users = Dictionary(uniqueKeysWithValues: testUsers.map { ($0, "pw-\($0)") })
        users["presence-bridge"] = "pw-bridge"
        try await withLocalBroker(users: users) { broker in
            var configuration = BridgeConfiguration()
            configuration.brokerURL = broker.url
            configuration.password = "pw-bridge"
            configuration.dataDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("client-bridge-\(UUID().uuidString)").path
            configuration.timerResolution = 0.01
            configuration.statsInterval = 0.5
            configure(&configuration)
            let fixture = ClientFixture(broker: broker, configuration: configuration)
            defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
            do {
                try await fixture.startBridge()
                try await body(fixture)
            } catch {
                await fixture.tearDown()
                throw error
            }
            await fixture.tearDown()
        }
    }

    /// Starts the bridge in-process and waits until its first resync is complete.
    func startBridge() async throws {
        let service = PresenceBridgeService(configuration: configuration, logger: Logger(label: "test-bridge"))
        let task = Task { try await service.run() }
        running.withLock { $0 = (service, task) }
        try await waitUntil(timeout: .seconds(20), "the bridge goes live") { service.isLive }
    }

    /// Waits until the in-process bridge is live (resynchronised, e.g. after a broker restart).
    func waitUntilBridgeLive() async throws {
        try await waitUntil(timeout: .seconds(30), "the bridge is live") {
            running.withLock { $0?.service.isLive } ?? false
        }
    }

    /// Stops the bridge as SIGTERM would, and waits for it to finish.
    func stopBridge() async throws {
        guard let (service, task) = running.withLock({ state in defer { state = nil }; return state }) else { return }
        service.shutdown()
        try await task.value
    }

    /// The SDK's configuration for `user` against this broker (fast reconnection for tests).
    func presenceConfiguration(_ user: String) throws -> PresenceConfiguration {
        let id = try #require(UserID(user))
        var configuration = PresenceConfiguration(brokerURL: broker.url, user: id, password: "pw-\(user)")
        configuration.reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1))
        return configuration
    }

    /// A started SDK device of `user`; stopped at tear-down.
    func device(_ user: String, _ device: String, platform: String? = "mobile",
                heartbeat: Duration = .seconds(30)) async throws -> PresenceDevice {
        let presence = PresenceDevice(configuration: try presenceConfiguration(user), device: try #require(DeviceID(device)),
                                      platform: platform, heartbeatInterval: heartbeat,
                                      logger: Logger(label: "test-device-\(user)-\(device)"))
        devices.withLock { $0.append(presence) }
        try await presence.start()
        return presence
    }

    /// A started SDK viewer of `user`; stopped at tear-down.
    func sdkViewer(_ user: String) async throws -> PresenceViewer {
        let viewer = PresenceViewer(configuration: try presenceConfiguration(user), logger: Logger(label: "test-viewer-\(user)"))
        viewers.withLock { $0.append(viewer) }
        try await viewer.start()
        return viewer
    }

    /// A connected raw MQTT client logged in as `user`; closed at tear-down.
    func client(_ user: String) async throws -> MQTTClient {
        var mqtt = try MQTTConfiguration(url: broker.url, clientID: "\(user)-raw-\(UUID().uuidString.prefix(8))")
        mqtt.username = user
        mqtt.password = "pw-\(user)"
        let client = MQTTClient(configuration: mqtt, logger: Logger(label: "test-raw-\(user)"))
        try await client.connect()
        clients.withLock { $0.append(client) }
        return client
    }

    /// A raw subscription to `out/{user}/+` recording every payload (independent of the SDK's parser).
    func recorder(_ user: String) async throws -> ViewRecorder {
        try await ViewRecorder(client: try await client(user), filter: "presence/v1/out/\(user)/+")
    }

    /// Publishes `payload` retained with QoS 1 on `presence/v1/in/{suffix}` as `user` (lists, settings).
    func publish(_ user: String, _ suffix: String, _ payload: String) async throws {
        let client = try await self.client(user)
        try await client.publish(MQTTMessage(topic: "presence/v1/in/\(suffix)", payload: Array(payload.utf8),
                                             qos: .atLeastOnce, retain: true))
        await client.waitForPublishes()
    }

    /// Starts `presence-bridge` with `arguments` (broker URL and password added); stopped at tear-down.
    func process(_ arguments: [String], user: String) throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["PRESENCE_PASSWORD"] = "pw-\(user)"
        let process = try ChildProcess.spawn(BridgeExecutable.path, arguments + ["--broker", broker.url],
                                             environment: environment)
        processes.withLock { $0.append(process) }
        return process
    }

    private func tearDown() async {
        for process in processes.withLock({ $0 }) { await process.terminate() }
        for device in devices.withLock({ $0 }) { await device.stop() }
        for viewer in viewers.withLock({ $0 }) { await viewer.stop() }
        try? await stopBridge()
        for client in clients.withLock({ $0 }) { await client.disconnect() }
    }
}

/// The `presence-bridge` executable built beside the test binary.
enum BridgeExecutable {
    /// Found by walking up from /proc/self/exe's folder (deeper inside an .xctest bundle on Darwin).
    static var path: String {
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        var folder = testBinary.deletingLastPathComponent()
        while !folder.path.isEmpty, folder.path != "/" {
            let candidate = folder.appendingPathComponent("presence-bridge")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            folder = folder.deletingLastPathComponent()
        }
        return "presence-bridge"
    }
}

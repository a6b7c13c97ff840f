import Foundation
import LocalBroker
import Logging
import MQTT
import PresenceBridge
import Synchronization
import Testing

/// Everyone the integration tests log in as; each user's password is "pw-" + name.
public let testUsers = ["alice", "bob", "carol", "dave", "mallory"]

/// A real mosquitto (the shipped mosquitto.conf and ACL, a free port) with the bridge running
/// in-process against it, and helpers to act as devices and viewers.
///
/// `run` always shuts the bridge down and stops the broker, also when the test fails.
public final class BridgeFixture: Sendable {
    public let broker: LocalBroker
    public let configuration: BridgeConfiguration
    private let running = Mutex<(service: PresenceBridgeService, task: Task<Void, any Error>)?>(nil)
    private let clients = Mutex<[MQTTClient]>([])
    private let accounts = Mutex<[String: MQTTClient]>([:])
    private let cleanUps = Mutex<[@Sendable () async -> Void]>([])

    private init(broker: LocalBroker, configuration: BridgeConfiguration) {
        self.broker = broker
        self.configuration = configuration
    }

    /// Runs `body` against a fresh broker and bridge; `configure` adjusts the bridge first;
    /// `brokerConfig` is appended to the broker's configuration (a TLS listener, say).
    public static func run(
        configure: (inout BridgeConfiguration) -> Void = { _ in },
        startBridge: Bool = true,
        brokerConfig: String = "",
        _ body: (BridgeFixture) async throws -> Void
    ) async throws {
        var users = Dictionary(uniqueKeysWithValues: testUsers.map { ($0, "pw-\($0)") })
        users["presence-bridge"] = "pw-bridge"
        try await withLocalBroker(users: users, extraConfig: brokerConfig) { broker in
            var configuration = BridgeConfiguration()
            configuration.brokerURL = broker.url
            configuration.password = "pw-bridge"
            configuration.dataDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("bridge-\(UUID().uuidString)").path
            configuration.statsInterval = 0.5
            configure(&configuration)
            let fixture = BridgeFixture(broker: broker, configuration: configuration)
            defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
            do {
                if startBridge { try await fixture.startBridge() }
                try await body(fixture)
            } catch {
                await fixture.tearDown()
                throw error
            }
            await fixture.tearDown()
        }
    }

    /// Starts the bridge in-process and waits until its first resync is complete; `prepare`
    /// sees the service before it runs (to observe its readiness, say), `logger` gets its lines.
    public func startBridge(logger: Logger = Logger(label: "test-bridge"),
                            prepare: (PresenceBridgeService) -> Void = { _ in }) async throws {
        let service = PresenceBridgeService(configuration: configuration, logger: logger)
        prepare(service)
        let task = Task { try await service.run() }
        running.withLock { $0 = (service, task) }
        try await waitUntil(timeout: .seconds(20), "the bridge goes live") { service.isLive }
    }

    /// Stops the bridge as SIGTERM would, and waits for it to finish.
    public func stopBridge() async throws {
        guard let (service, task) = running.withLock({ state in defer { state = nil }; return state }) else { return }
        service.shutdown()
        try await task.value
    }

    /// Waits until the in-process bridge is live (resynchronised, e.g. after a broker restart).
    public func waitUntilBridgeLive() async throws {
        try await waitUntil(timeout: .seconds(30), "the bridge is live") { service?.isLive ?? false }
    }

    /// Registers work for tear-down (stopping an SDK device, a process), run before the bridge stops.
    public func onTearDown(_ cleanUp: @escaping @Sendable () async -> Void) {
        cleanUps.withLock { $0.append(cleanUp) }
    }

    public var service: PresenceBridgeService? { running.withLock { $0?.service } }

    /// A connected MQTT client logged in as `user`; closed at tear-down.
    public func client(_ user: String, clientID: String? = nil, will: MQTTMessage? = nil) async throws -> MQTTClient {
        var mqtt = try MQTTConfiguration(url: broker.url, clientID: clientID ?? "\(user)-\(UUID().uuidString.prefix(8))")
        mqtt.username = user
        mqtt.password = user == "presence-bridge" ? "pw-bridge" : "pw-\(user)"
        mqtt.will = will
        let client = MQTTClient(configuration: mqtt, logger: Logger(label: "test-\(user)"))
        try await client.connect()
        clients.withLock { $0.append(client) }
        return client
    }

    /// A device of `user` connected as docs/PROTOCOL.md says: client id `{user}-{device}`, will = offline lost
    /// with this connection's session, then its state published retained with the same session.
    public func device(_ user: String, _ device: String, session: String, status: String = "online",
                platform: String? = nil, clientID: String? = nil) async throws -> MQTTClient {
        let topic = "presence/v1/in/\(user)/\(device)/state"
        let will = MQTTMessage(topic: topic, payload: json(["status": "offline", "session": session, "reason": "lost"]),
                               qos: .atLeastOnce, retain: true)
        let client = try await self.client(user, clientID: clientID ?? "\(user)-\(device)", will: will)
        var state = ["status": status, "session": session]
        if let platform { state["platform"] = platform }
        try await client.publish(MQTTMessage(topic: topic, payload: json(state), qos: .atLeastOnce, retain: true))
        return client
    }

    /// Publishes `payload` as `user` on `presence/v1/in/{suffix}` (retained and QoS 1 for state and lists).
    public func send(_ client: MQTTClient, _ suffix: String, _ payload: String, retain: Bool? = nil) async throws {
        try await client.publish(Self.input(suffix, payload, retain: retain))
        await client.waitForPublishes()
    }

    /// The input `payload` on `presence/v1/in/{suffix}` as a device sends it: heartbeats and
    /// activity QoS 0 and not retained, state, settings and lists retained QoS 1 (`retain` overrides).
    public static func input(_ suffix: String, _ payload: String, retain: Bool? = nil) -> MQTTMessage {
        let isDurable = !(suffix.hasSuffix("/heartbeat") || suffix.hasSuffix("/activity"))
        return MQTTMessage(topic: "presence/v1/in/\(suffix)", payload: Array(payload.utf8),
                           qos: isDurable ? .atLeastOnce : .atMostOnce, retain: retain ?? isDurable)
    }

    /// One connection per user for settings and lists (reused).
    public func account(_ user: String) async throws -> MQTTClient {
        if let client = accounts.withLock({ $0[user] }) { return client }
        let client = try await self.client(user)
        accounts.withLock { $0[user] = client }
        return client
    }

    /// Sets `user`'s contacts (retained, as a client would).
    public func contacts(_ user: String, _ list: [String]) async throws {
        try await send(account(user), "\(user)/contacts", listJSON(list))
    }

    /// Puts `a` and `b` in each other's contacts (each list becomes just the other).
    public func makeContacts(_ a: String, _ b: String) async throws {
        try await contacts(a, [b])
        try await contacts(b, [a])
    }

    /// The most common set-up: alice and bob are contacts, and bob watches his views.
    public func bobWatchesAlice() async throws -> ViewRecorder {
        try await makeContacts("alice", "bob")
        return try await viewer("bob")
    }

    public func watch(_ user: String, _ list: [String]) async throws {
        try await send(account(user), "\(user)/watch", listJSON(list))
    }

    public func blocked(_ user: String, _ list: [String]) async throws {
        try await send(account(user), "\(user)/blocked", listJSON(list))
    }

    public func settings(_ user: String, _ settings: [String: String]) async throws {
        try await send(account(user), "\(user)/settings", String(decoding: json(settings), as: UTF8.self))
    }

    /// A viewer's subscription to `out/{viewer}/+`, recording every view it receives.
    public func viewer(_ user: String) async throws -> ViewRecorder {
        let client = try await self.client(user)
        return try await ViewRecorder(client: client, filter: "presence/v1/out/\(user)/+")
    }

    private func tearDown() async {
        for cleanUp in cleanUps.withLock({ $0 }).reversed() { await cleanUp() }
        try? await stopBridge()
        for client in clients.withLock({ $0 }) { await client.disconnect() }
    }
}

public func listJSON(_ list: [String]) -> String {
    "[" + list.map { "\"\($0)\"" }.joined(separator: ",") + "]"
}

public func json(_ object: [String: String]) -> [UInt8] {
    (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { Array($0) } ?? []
}

/// Parses the bridge's ISO 8601 time with milliseconds.
public func parseISO8601(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}

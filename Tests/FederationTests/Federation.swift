import BridgeTestSupport
import Foundation
import LocalBroker
import Logging
import MQTT
import PresenceCore
import PresenceWire
import Synchronization

/// Three mosquittos federated by the configs the project ships (`scripts/make-federation.sh`,
/// run here on free ports) and three `presence-bridge run --shard i` processes, one beside each
/// broker, with users homed where each test asks; everything is stopped on every path.
///
/// Users are named by role: `user("alice", homedAt: 0)` is the first of `alice`, `alice1`, …
/// whose home (by the same hash the bridge uses) is broker 0, so that a test can put viewers
/// and targets on different brokers whatever ports it got.
final class Federation: Sendable {
    static let size = 3
    let folder: String
    let homes: HomeBrokers
    let topics = TopicLayout()
    let offlineGrace: Double
    let heartbeatInterval: Double
    /// Role → user id.
    private let names: [String: String]
    private let brokers: [LocalBroker]
    private let shards = Mutex<[ChildProcess?]>(Array(repeating: nil, count: Federation.size))
    private let clients = Mutex<[MQTTClient]>([])
    private let accounts = Mutex<[String: MQTTClient]>([:])

    private init(folder: String, homes: HomeBrokers, names: [String: String], brokers: [LocalBroker],
                 offlineGrace: Double, heartbeatInterval: Double) {
        self.folder = folder
        self.homes = homes
        self.names = names
        self.brokers = brokers
        self.offlineGrace = offlineGrace
        self.heartbeatInterval = heartbeatInterval
    }

    /// Runs `body` with the federation up: every link up, every shard live. `roles` maps a
    /// role name to the broker its user is homed at.
    static func run(roles: [String: Int], offlineGrace: Double = 0.2, heartbeatInterval: Double = 30,
                    _ body: (Federation) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/federation-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The users are named once the ports (so the homes) are known: the accounts go in after.
        var names: [String: String] = [:]
        let brokers = try await LocalFederation.start(size: size, folder: folder, users: { urls in
            guard let homes = HomeBrokers(urls: urls) else { return [:] }
            for (role, home) in roles { names[role] = pickUser(role, homedAt: home, homes) }
            var accounts = Dictionary(uniqueKeysWithValues: names.values.map { ($0, "pw-\($0)") })
            accounts["presence-bridge"] = "pw-bridge"
            return accounts
        }).brokers
        guard let homes = HomeBrokers(urls: brokers.map(\.url)) else { throw ChildProcessError(message: "ports repeated") }
        let federation = Federation(folder: folder, homes: homes, names: names, brokers: brokers,
                                    offlineGrace: offlineGrace, heartbeatInterval: heartbeatInterval)
        do {
            try await federation.waitForLinks()
            for index in 0..<size { try await federation.startShard(index) }
            for index in 0..<size { try await federation.waitUntilShardOnline(index) }
            try await body(federation)
        } catch {
            let logs = (0..<size).map {
                "shard \($0):\n\(federation.shardLog($0).suffix(3000))\nbroker \($0):\n\(brokers[$0].log().suffix(3000))"
            }.joined(separator: "\n")
            await federation.tearDown()
            throw ChildProcessError(message: "\(error)\n\(logs)")
        }
        await federation.tearDown()
    }

    private static func pickUser(_ role: String, homedAt home: Int, _ homes: HomeBrokers) -> String {
        var suffix = 0
        while true {
            let name = suffix == 0 ? role : "\(role)\(suffix)"
            if homes.home(of: UserID(name)!) == home { return name }
            suffix += 1
        }
    }

    private func tearDown() async {
        for client in clients.withLock({ $0 }) { await client.disconnect() }
        for shard in shards.withLock({ $0 }) { if let shard { _ = await shard.terminate() } }
        for broker in brokers { await broker.stop() }
    }

    // MARK: - Users

    /// The user id of a role.
    func id(_ role: String) -> String { names[role]! }

    /// The index of the broker a role's user is homed at.
    func home(_ role: String) -> Int { homes.home(of: UserID(id(role))!) }

    /// An MQTT client of a role's user, connected to its home broker (or to `broker`).
    func client(_ role: String, broker: Int? = nil, clientID: String? = nil, will: MQTTMessage? = nil) async throws -> MQTTClient {
        let user = role == "presence-bridge" ? role : id(role)
        var mqtt = try MQTTConfiguration(url: brokers[broker ?? home(role)].url, clientID: clientID ?? "\(user)-\(UUID().uuidString.prefix(8))")
        mqtt.username = user
        mqtt.password = user == "presence-bridge" ? "pw-bridge" : "pw-\(user)"
        mqtt.will = will
        let client = MQTTClient(configuration: mqtt, logger: Logger(label: "test-\(user)"))
        try await client.connect()
        clients.withLock { $0.append(client) }
        return client
    }

    /// A device of a role's user on its home broker, with its will, that has published `status`.
    func device(_ role: String, _ device: String, session: String, status: String = "online") async throws -> MQTTClient {
        let topic = "presence/v1/in/\(id(role))/\(device)/state"
        let will = MQTTMessage(topic: topic, payload: Array(#"{"status":"offline","session":"\#(session)","reason":"lost"}"#.utf8),
                               qos: .atLeastOnce, retain: true)
        let client = try await self.client(role, clientID: "\(id(role))-\(device)", will: will)
        try await send(client, "\(id(role))/\(device)/state", #"{"status":"\#(status)","session":"\#(session)"}"#)
        return client
    }

    /// Publishes `payload` on `presence/v1/in/{suffix}` (retained QoS 1 but for heartbeats and activity).
    func send(_ client: MQTTClient, _ suffix: String, _ payload: String) async throws {
        try await client.publish(BridgeFixture.input(suffix, payload))
        await client.waitForPublishes()
    }

    private func account(_ role: String) async throws -> MQTTClient {
        if let client = accounts.withLock({ $0[role] }) { return client }
        let client = try await self.client(role)
        accounts.withLock { $0[role] = client }
        return client
    }

    /// Publishes one of a role's lists (`contacts`, `blocked`, `watch`), naming roles.
    func list(_ role: String, _ kind: String, _ roles: [String]) async throws {
        let ids = roles.map { "\"\(id($0))\"" }.joined(separator: ",")
        try await send(account(role), "\(id(role))/\(kind)", "[\(ids)]")
    }

    func settings(_ role: String, _ json: String) async throws {
        try await send(account(role), "\(id(role))/settings", json)
    }

    /// A fresh subscriber to a role's views on its home broker.
    func viewer(_ role: String) async throws -> ViewRecorder {
        try await ViewRecorder(client: client(role), filter: "presence/v1/out/\(id(role))/+")
    }

    // MARK: - Brokers and shards

    func broker(_ index: Int) -> LocalBroker { brokers[index] }

    /// Starts (or starts again, from its data folder) shard `index` beside broker `index`.
    func startShard(_ index: Int) async throws {
        let data = folder + "/shard-\(index)"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try "pw-bridge\n".write(toFile: data + "/password", atomically: true, encoding: .utf8)
        let process = try await ChildProcess.spawn(BridgeProcess.executable, [
            "run", "--shard", String(index), "--brokers", homes.urls.joined(separator: ","),
            "--username", "presence-bridge", "--password-file", data + "/password", "--data-dir", data,
            "--offline-grace", String(offlineGrace), "--heartbeat-interval", String(heartbeatInterval),
            "--stats-interval", "0.5", "--log-level", ProcessInfo.processInfo.environment["FEDERATION_LOG_LEVEL"] ?? "info",
        ])
        shards.withLock { $0[index] = process }
    }

    /// `kill -9` of shard `index`.
    func killShard(_ index: Int) async {
        let process = shards.withLock { shards in defer { shards[index] = nil }; return shards[index] }
        await process?.kill()
    }

    /// The shard's log so far (stderr).
    func shardLog(_ index: Int) -> String { shards.withLock { $0[index] }?.errorLines.joined(separator: "\n") ?? "" }

    /// Waits until `presence/v1/bridge/status` on broker `index` says online.
    func waitUntilShardOnline(_ index: Int) async throws {
        let status = try await ViewRecorder(client: client("presence-bridge", broker: index), filter: "presence/v1/bridge/status")
        do {
            try await status.waitFor("status", timeout: .seconds(60), "shard \(index) online") { $0.status == "online" }
        } catch {
            throw ChildProcessError(message: "\(error); shard \(index) log: \(shardLog(index).suffix(3000))")
        }
        await status.client.disconnect()
    }

    /// Waits until every link i → j says `1` on broker j.
    func waitForLinks() async throws {
        for to in 0..<Self.size {
            let client = try await client("presence-bridge", broker: to)
            let links = try await Recorder(client: client, filter: "presence/v1/bridge/links/+/\(to)")
            for from in 0..<Self.size where from != to {
                try await links.waitFor(topics.linkTopic(from: from, to: to), timeout: .seconds(30)) { $0 == "1" }
            }
            await client.disconnect()
        }
    }
}

/// Records every message on a subscription by its whole topic, payloads as text.
final class Recorder: Sendable {
    let history = Locked<[(topic: String, payload: String, retain: Bool)]>([])
    private let task: Task<Void, Never>
    let client: MQTTClient

    init(client: MQTTClient, filters: [String]) async throws {
        self.client = client
        let history = self.history
        task = Task {
            for await message in client.messages {
                history.withLock { $0.append((message.topic, String(decoding: message.payload, as: UTF8.self), message.retain)) }
            }
        }
        _ = try await client.subscribe(filters, qos: .atLeastOnce)
    }

    convenience init(client: MQTTClient, filter: String) async throws {
        try await self.init(client: client, filters: [filter])
    }

    deinit { task.cancel() }

    /// Every topic received so far.
    var topics: Set<String> { Set(history.withLock { $0.map(\.topic) }) }

    /// The latest payload on `topic`.
    func latest(_ topic: String) -> String? { history.withLock { $0.last { $0.topic == topic }?.payload } }

    func waitFor(_ topic: String, timeout: Duration = .seconds(10), _ condition: @escaping @Sendable (String) -> Bool) async throws {
        try await waitUntil(timeout: timeout, "\(topic) as expected; saw \(latest(topic) ?? "nothing")") {
            latest(topic).map(condition) ?? false
        }
    }
}

extension Recorder {
    func dump() -> String { history.withLock { $0.map { "\($0.topic) r=\($0.retain) \($0.payload)" }.joined(separator: "\n") } }
}

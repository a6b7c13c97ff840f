import Foundation
import LocalBroker
import Logging
import MQTT
import PresenceCore

/// One broker with its bench connections (publisher, view subscriber, watcher) and the bridge
/// under test, for `users` users in a ring of `contacts` contacts (plus, with `star`, one user
/// `u{users}` in everybody's contacts: the target of the privacy change).
///
/// The `bench` broker user may write and read all of `presence/v1/#` and `bench/#`, so a few
/// connections publish for every user. Not Sendable: one scenario at a time drives it.
final class BenchEnvironment {
    let broker: LocalBroker
    let folder: String
    let benchPassword: String
    let bridgePasswordFile: String
    let publisher: MQTTClient
    let subscriber: MQTTClient
    let collector: ViewCollector
    let watcher: BridgeWatcher
    let users: Int
    let contacts: Int
    let hasStar: Bool
    let executable: String
    let progress: @Sendable (String) -> Void
    private var tasks: [Task<Void, Never>] = []
    /// The bridge now running, if any.
    var bridge: BridgeUnderTest?
    /// The null bridge (the baseline on its own prefix), once started.
    var nullBridge: ChildProcess?
    /// The next event number for markers.
    var nextSeq = 1

    /// The star user's index (valid when `hasStar`).
    var star: Int { users }

    static let logger: Logger = {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        return logger
    }()

    private init(broker: LocalBroker, folder: String, benchPassword: String, bridgePasswordFile: String,
                 publisher: MQTTClient, subscriber: MQTTClient, watcher: BridgeWatcher, users: Int, contacts: Int,
                 hasStar: Bool, executable: String, progress: @escaping @Sendable (String) -> Void) {
        self.broker = broker
        self.folder = folder
        self.benchPassword = benchPassword
        self.bridgePasswordFile = bridgePasswordFile
        self.publisher = publisher
        self.subscriber = subscriber
        self.watcher = watcher
        self.users = users
        self.contacts = contacts
        self.hasStar = hasStar
        self.executable = executable
        self.progress = progress
        collector = ViewCollector(stride: users + 1)
    }

    /// Starts a broker (shipped config + the bench user) and connects the bench clients.
    static func start(users: Int, contacts: Int, star: Bool, executable: String,
                      progress: @escaping @Sendable (String) -> Void) async throws -> BenchEnvironment {
        let folder = FileManager.default.temporaryDirectory.path + "/presence-bench-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bridgePassword = "bridge-\(UInt64.random(in: 0...UInt64.max))"
        let benchPassword = "bench-\(UInt64.random(in: 0...UInt64.max))"
        let passwordFile = folder + "/bridge-password"
        try (bridgePassword + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let nullBridgePassword = "null-\(UInt64.random(in: 0...UInt64.max))"
        try (nullBridgePassword + "\n").write(toFile: folder + "/null-bridge-password", atomically: true, encoding: .utf8)
        let root = try repositoryRoot()
        let broker = try await LocalBroker.start(
            configFile: root + "/mosquitto.conf", aclFile: root + "/mosquitto.acl",
            users: ["presence-bridge": bridgePassword, "bench": benchPassword, "null-bridge": nullBridgePassword],
            extraACL: "\nuser bench\ntopic readwrite presence/v1/#\ntopic readwrite bench/#\n"
                + "\nuser null-bridge\ntopic readwrite \(NullBridgeLayout.prefix)/#\n")
        do {
            let publisher = MQTTClient(configuration: try configuration(broker, benchPassword, "bench-publisher"), logger: logger)
            let subscriber = MQTTClient(configuration: try configuration(broker, benchPassword, "bench-subscriber"), logger: logger)
            var watcherConfiguration = try configuration(broker, benchPassword, "bench-watcher")
            // It outlives a broker restart, and must be back before the bridge (which retries at
            // least once a second) says online, or it would see that only as a retained copy.
            watcherConfiguration.reconnect.enabled = true
            watcherConfiguration.reconnect.initialDelay = .milliseconds(20)
            watcherConfiguration.reconnect.maximumDelay = .milliseconds(100)
            let watcherClient = MQTTClient(configuration: watcherConfiguration, logger: logger)
            try await publisher.connect()
            try await subscriber.connect()
            try await watcherClient.connect()
            let watcher = BridgeWatcher(client: watcherClient)
            let environment = BenchEnvironment(
                broker: broker, folder: folder, benchPassword: benchPassword, bridgePasswordFile: passwordFile,
                publisher: publisher, subscriber: subscriber, watcher: watcher, users: users, contacts: contacts,
                hasStar: star, executable: executable, progress: progress)
            environment.tasks.append(environment.collector.start(subscriber))
            environment.tasks.append(try await watcher.start())
            _ = try await subscriber.subscribe([BenchPayloads.topics.viewFilter, "bench/relay/+", NullBridgeLayout.viewFilter], qos: .atLeastOnce)
            return environment
        } catch {
            await broker.stop()
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    /// A bench-user client configuration (no automatic reconnection: a drop is a failed run;
    /// only the watcher reconnects, to see the bridge come back after a broker restart).
    static func configuration(_ broker: LocalBroker, _ password: String, _ clientID: String) throws -> MQTTConfiguration {
        var configuration = try MQTTConfiguration(url: broker.url, clientID: clientID)
        configuration.username = "bench"
        configuration.password = password
        configuration.keepAlive = 120
        configuration.reconnect.enabled = false
        return configuration
    }

    /// Stops the bridge (if running), the clients and the broker; removes the temp folder.
    func shutdown() async {
        if let bridge { _ = await bridge.stop() }
        bridge = nil
        await stopNullBridge()
        await publisher.disconnect()
        await subscriber.disconnect()
        await watcher.client.disconnect()
        for task in tasks { task.cancel() }
        await broker.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: - The bridge

    /// Spawns the bridge on this broker with the environment's data folder.
    func startBridge() async throws -> BridgeUnderTest {
        let bridge = try await BridgeUnderTest.start(executable: executable, brokerURL: broker.url,
                                               passwordFile: bridgePasswordFile, dataDirectory: folder + "/bridge-data")
        self.bridge = bridge
        return bridge
    }

    /// Starts the null bridge (`presence-bench null-bridge`, as its own broker user `null-bridge`,
    /// on the ring of this environment) and waits until it has subscribed.
    func startNullBridge() async throws {
        guard nullBridge == nil else { return }
        let process = try await ChildProcess.spawn(LoadBenchmark.currentExecutable(), [
            "null-bridge", "--broker", broker.url, "--username", "null-bridge",
            "--password-file", folder + "/null-bridge-password", "--users", "\(users)", "--contacts", "\(contacts)",
        ])
        nullBridge = process
        _ = try await process.waitForLine(containing: "ready", timeout: .seconds(30))
    }

    /// Stops the null bridge, if it runs.
    func stopNullBridge() async {
        await nullBridge?.terminate()
        nullBridge = nil
    }

    /// Kills the running bridge with SIGKILL (kill -9): no goodbye, no last checkpoint.
    func killBridge() async {
        guard let bridge else { return }
        await bridge.process.kill()
        self.bridge = nil
    }

    /// Stops the running bridge cleanly; returns its peak RSS (KiB) and CPU seconds as last seen.
    func stopBridge() async -> (peakKiB: Int?, cpu: Double?) {
        guard let bridge else { return (nil, nil) }
        let peak = bridge.peakRSSKiB
        let cpu = bridge.cpuSeconds
        _ = await bridge.stop()
        self.bridge = nil
        return (peak, cpu)
    }

    // MARK: - Topology

    /// The contacts of ring user `user`: the next `contacts` users (and the star).
    func contactsOf(_ user: Int) -> [Int] {
        var list = (1...contacts).map { (user + $0) % users }
        if hasStar { list.append(star) }
        return list
    }

    /// The ring of users and contacts (without the star), as the null bridge computes it too.
    var ring: BenchRing { BenchRing(users: users, contacts: contacts) }

    /// Everyone holding a view of `target`: itself and the users listing it.
    func viewersOf(_ target: Int) -> [Int] {
        if hasStar && target == star { return [star] + Array(0..<users) }
        return ring.viewers(of: target)
    }

    /// The collector keys of every view of `targets`.
    func viewKeys(of targets: some Sequence<Int>) -> [Int] {
        var keys: [Int] = []
        for target in targets {
            for viewer in viewersOf(target) { keys.append(collector.key(viewer: viewer, target: target)) }
        }
        return keys
    }

    /// Every view that should exist.
    func allViewKeys() -> [Int] {
        viewKeys(of: 0..<(hasStar ? users + 1 : users))
    }

    // MARK: - Publishing

    /// Publishes through the bench publisher (waits only for an in-flight slot).
    func publish(_ topic: String, _ payload: [UInt8], qos: QoS = .atLeastOnce, retain: Bool = true) async throws {
        try await publisher.publish(MQTTMessage(topic: topic, payload: payload, qos: qos, retain: retain))
    }

    /// A state change of `user` (status, its session `s{user}`, a fresh marker) to the bridge, or
    /// to the null bridge; returns its event number.
    @discardableResult
    func publishState(_ user: Int, _ status: DeviceStatus = .online, session: String? = nil, via path: ViewPath = .bridge) async throws -> Int {
        let seq = nextSeq
        nextSeq += 1
        try await publish(path.stateTopic(user),
                          BenchPayloads.state(status, session: session ?? "s\(user)", seq: seq, sent: BenchClock.now()))
        return seq
    }

    /// Settings (everyone), contacts and an online state for every user: the retained inputs.
    func publishSetup() async throws {
        let everyone = BenchPayloads.settings(.everyone)
        for user in 0..<(hasStar ? users + 1 : users) {
            try await publish(BenchPayloads.settingsTopic(user), everyone)
            try await publish(BenchPayloads.contactsTopic(user), BenchPayloads.list(user < users ? contactsOf(user) : []))
            try await publishState(user)
        }
        await publisher.waitForPublishes()
    }

    /// Publishes `count` items at `rate` per second (in small bursts, at most 0.2 ms late each).
    func paced(count: Int, rate: Double, _ body: (Int) async throws -> Void) async throws -> (start: UInt64, end: UInt64) {
        let start = BenchClock.now()
        var index = 0
        while index < count {
            let elapsed = Double(BenchClock.now() - start) / 1e6
            let due = min(count, Int(elapsed * rate) + 1)
            while index < due {
                try await body(index)
                index += 1
            }
            if index < count { try await Task.sleep(for: .microseconds(200)) }
        }
        return (start, BenchClock.now())
    }
}

import Foundation
import LocalBroker
import Logging
import MQTT
import PresenceCore
import PresenceWire
import Synchronization

/// `presence-bench federation`: what a federation of N brokers and N shards costs per unit,
/// beside one broker and one bridge (N = 1, the baseline) doing the same work in the same run.
///
/// For each N: N mosquittos on loopback with the links of `scripts/make-federation.sh` (none for
/// N = 1), one `presence-bridge run` beside each (`--shard i --brokers …` for N > 1), U users
/// in a ring of C contacts homed by the same hash as the bridge, and a `bench` account on each
/// broker publishing for its users and counting every view (`out/+/+`). Two phases, each timed
/// by the CPU time (user + system, from /proc) of every shard and every broker:
/// 1. lists: every user's contacts published once on its home broker (each list reaches the
///    other N − 1 shards over the links), until every view is there;
/// 2. status changes: E state changes, each user in turn, until no view has come for a second
///    and every shard has taken every input.
public enum FederationBenchmark {
    public struct Options: Sendable {
        public var users = 3_000
        public var contacts = 10
        public var events = 30_000
        public var sizes = [1, 3]
        public var executable = "presence-bridge"
        public init() {}
    }

    /// One phase's figures for one N.
    struct Phase {
        var wallSeconds = 0.0
        var shardCPU: [Double] = []
        var brokerCPU: [Double] = []
        var viewsSent: [Int] = []      // per shard: published − coalesced
        var inputs: [Int] = []         // per shard: messages taken
        var federated: [Int] = []      // per shard: lists taken from the links
        var viewsReceived = 0
        /// The share of the ring's views whose viewer and target have different homes.
        var crossing = 0.0
    }

    public static func run(_ options: Options, progress: @escaping @Sendable (String) -> Void) async throws -> String {
        var report = ["presence-bench federation: U = \(options.users), C = \(options.contacts), E = \(options.events) state changes; CPU = user + system time from /proc", ""]
        var rows: [(n: Int, lists: Phase, states: Phase)] = []
        for n in options.sizes {
            progress("N = \(n): starting \(n) broker(s) and shard(s)")
            let (lists, states) = try await measure(n: n, options, progress: progress)
            rows.append((n, lists, states))
        }
        report.append("| N | phase | wall s | views received | shard CPU ms (each) | shard CPU µs per view sent | broker CPU ms (each) | broker CPU µs per view received | lists taken from links (each shard) |")
        report.append("|---|---|---|---|---|---|---|---|---|")
        for row in rows {
            for (name, phase) in [("lists", row.lists), ("states", row.states)] {
                let shardTotal = phase.shardCPU.reduce(0, +)
                let brokerTotal = phase.brokerCPU.reduce(0, +)
                let sent = phase.viewsSent.reduce(0, +)
                report.append("| \(row.n) | \(name) | \(format(phase.wallSeconds)) | \(phase.viewsReceived) | \(phase.shardCPU.map { format($0 * 1000, 0) }.joined(separator: " / ")) | \(format(shardTotal * 1e6 / Double(max(sent, 1)))) | \(phase.brokerCPU.map { format($0 * 1000, 0) }.joined(separator: " / ")) | \(format(brokerTotal * 1e6 / Double(max(phase.viewsReceived, 1)))) | \(phase.federated.map(String.init).joined(separator: " / ")) |")
            }
        }
        report.append("")
        report.append(contentsOf: model(rows, options))
        return report.joined(separator: "\n")
    }

    /// The cost model: per-view CPU s (shard) + b (broker) at N = 1, f per message a link
    /// forwards (the extra broker CPU of N = 3's lists phase over N = 1's, per forwarded list and
    /// crossing view); N = 3's measured CPU per view beside the prediction; views/s for N machines.
    private static func model(_ rows: [(n: Int, lists: Phase, states: Phase)], _ options: Options) -> [String] {
        guard let one = rows.first(where: { $0.n == 1 }), let many = rows.first(where: { $0.n > 1 }) else { return [] }
        func perView(_ cpu: [Double], _ views: Int) -> Double { cpu.reduce(0, +) * 1e6 / Double(max(views, 1)) }
        let s = perView(one.states.shardCPU, one.states.viewsSent.reduce(0, +))
        let b = perView(one.states.brokerCPU, one.states.viewsReceived)
        let crossing = many.states.crossing
        let forwarded = Double(many.lists.federated.reduce(0, +)) + crossing * Double(many.lists.viewsReceived)
        let f = (many.lists.brokerCPU.reduce(0, +) - one.lists.brokerCPU.reduce(0, +)) * 1e6 / max(forwarded, 1)
        let listExtra = (many.lists.shardCPU.reduce(0, +) - one.lists.shardCPU.reduce(0, +)) * 1e6 / Double(max(many.lists.federated.reduce(0, +), 1))
        let predicted = s + b + f * crossing
        let measured = (many.states.shardCPU.reduce(0, +) + many.states.brokerCPU.reduce(0, +)) * 1e6 / Double(max(many.states.viewsReceived, 1))
        var lines = [
            "Cost model (µs of CPU): per view s = \(format(s)) (shard) + b = \(format(b)) (broker), N = 1;",
            "per message a link forwards f = \(format(f)) (broker, both ends; N = \(many.n) lists phase over N = 1's);",
            "per list taken from a link, shard CPU over N = 1: \(format(listExtra)).",
            "N = \(many.n) states phase, \(format(crossing * 100, 0)) % of views crossing a link: predicted s + b + f × crossing = \(format(predicted)) µs per view, measured \(format(measured)) µs (ratio \(format(measured / predicted, 2))).",
            "",
            "| machines N | broker-bound views/s per machine (1 core: 10⁶ / (b + f × crossing share)) | shard-bound (10⁶ / s) | predicted views/s in all |",
            "|---|---|---|---|",
        ]
        for machines in [1, 3, 10, 30] {
            // Homes spread evenly: a view crosses a link unless viewer and target share a home.
            let share = Double(machines - 1) / Double(machines) * Double(options.contacts) / Double(options.contacts + 1)
            let broker = 1e6 / (b + f * share)
            let shard = 1e6 / s
            lines.append("| \(machines) | \(Int(broker)) | \(Int(shard)) | \(Int(Double(machines) * min(broker, shard))) |")
        }
        return lines
    }

    private static func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

    private static func measure(n: Int, _ options: Options, progress: @escaping @Sendable (String) -> Void) async throws -> (Phase, Phase) {
        let folder = FileManager.default.temporaryDirectory.path + "/presence-federation-bench-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let federation = try await LocalFederation.start(size: n, folder: folder, extraACL: "\nuser bench\ntopic readwrite presence/v1/#\n") { _ in
            ["presence-bridge": "pw-bridge", "bench": "pw-bench"]
        }
        let brokers = federation.brokers
        let urls = federation.urls
        guard let homes = HomeBrokers(urls: urls) else { throw ChildProcessError(message: "ports repeated") }
        var shards: [ChildProcess] = []
        var clients: [MQTTClient] = []
        func stopAll() async {
            for client in clients { await client.disconnect() }
            for shard in shards { _ = await shard.terminate() }
            await federation.stop()
        }
        do {
            try "pw-bridge\n".write(toFile: folder + "/bridge-password", atomically: true, encoding: .utf8)
            for index in 0..<n {
                let data = folder + "/shard-\(index)"
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                let federation = n > 1 ? ["--shard", String(index), "--brokers", urls.joined(separator: ",")] : []
                shards.append(try await ChildProcess.spawn(options.executable, ["run", "--broker", urls[index], "--password-file", folder + "/bridge-password",
                    "--data-dir", data, "--rate-limit", "0", "--offline-grace", "0", "--stats-interval", "0.5", "--log-level", "warning"] + federation))
            }
            var logger = Logger(label: "bench-federation")
            logger.logLevel = .error
            var publishers: [MQTTClient] = []
            let observed = Observations()
            var readers: [Task<Void, Never>] = []
            for index in 0..<n {
                var configuration = try MQTTConfiguration(url: urls[index], clientID: "bench-publisher-\(index)")
                configuration.username = "bench"
                configuration.password = "pw-bench"
                let publisher = MQTTClient(configuration: configuration, logger: logger)
                try await publisher.connect()
                publishers.append(publisher)
                clients.append(publisher)
                configuration.clientID = "bench-subscriber-\(index)"
                let subscriber = MQTTClient(configuration: configuration, logger: logger)
                try await subscriber.connect()
                clients.append(subscriber)
                let statsTopic = TopicLayout().statsTopic
                let linksHead = "presence/v1/bridge/links/"
                readers.append(Task {
                    for await message in subscriber.messages {
                        if message.topic.hasPrefix(linksHead) {
                            observed.linksUp.withLock { $0[message.topic] = message.payload == Array("1".utf8) }
                        } else if message.topic == statsTopic {
                            let object = (try? JSONSerialization.jsonObject(with: Data(message.payload))) as? [String: Any] ?? [:]
                            let numbers = object.compactMapValues { ($0 as? NSNumber)?.intValue }
                            observed.stats.withLock { $0[index] = numbers }
                        } else {
                            observed.views.add(1, ordering: .relaxed)
                        }
                    }
                })
                _ = try await subscriber.subscribe(["presence/v1/out/+/+", statsTopic, "\(linksHead)+/\(index)"], qos: .atLeastOnce)
            }
            defer { for reader in readers { reader.cancel() } }
            func counter(_ name: String) -> [Int] {
                observed.stats.withLock { all in (0..<n).map { all[$0]?[name] ?? 0 } }
            }
            try await waitUntil(timeout: .seconds(60), "every shard publishes its stats, every link is up") {
                observed.stats.withLock { $0.count } == n && observed.linksUp.withLock { $0.count == n * (n - 1) && $0.values.allSatisfy { $0 } }
            }

            let cpu = { (shards.map { cpuSeconds($0.pid) }, brokers.map { cpuSeconds($0.pid ?? 0) }) }
            func phase(expectedInputs: Int, _ body: () async throws -> Void, until done: () -> Bool) async throws -> Phase {
                let (shardsBefore, brokersBefore) = cpu()
                let receivedBefore = observed.views.load(ordering: .relaxed)
                let sentBefore = zip(counter("viewsPublished"), counter("viewsCoalesced")).map { $0 - $1 }
                let inputsBefore = counter("messagesIn")
                let federatedBefore = counter("federatedInputs")
                let start = ContinuousClock.now
                try await body()
                try await waitUntil(timeout: .seconds(600), "every shard takes its inputs") {
                    zip(counter("messagesIn"), inputsBefore).map { $0 - $1 }.reduce(0, +) >= expectedInputs
                }
                var last = observed.views.load(ordering: .relaxed)
                var lastChange = ContinuousClock.now
                try await waitUntil(timeout: .seconds(600), "views stop coming") {
                    let now = observed.views.load(ordering: .relaxed)
                    if now != last { last = now; lastChange = .now }
                    return done() && ContinuousClock.now - lastChange > .seconds(1)
                }
                let wall = ContinuousClock.now - start - .seconds(1)
                try await Task.sleep(for: .seconds(1.2))  // one more stats refresh
                let (shardsAfter, brokersAfter) = cpu()
                var result = Phase()
                result.wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
                result.shardCPU = zip(shardsAfter, shardsBefore).map { $0 - $1 }
                result.brokerCPU = zip(brokersAfter, brokersBefore).map { $0 - $1 }
                result.viewsSent = zip(zip(counter("viewsPublished"), counter("viewsCoalesced")).map { $0 - $1 }, sentBefore).map { $0 - $1 }
                result.inputs = zip(counter("messagesIn"), inputsBefore).map { $0 - $1 }
                result.federated = zip(counter("federatedInputs"), federatedBefore).map { $0 - $1 }
                result.viewsReceived = observed.views.load(ordering: .relaxed) - receivedBefore
                return result
            }
            let users = options.users
            let contacts = options.contacts
            func user(_ index: Int) -> UserID { BenchPayloads.user(index) }
            let home = (0..<users).map { homes.home(of: user($0)) }
            let topics = TopicLayout()

            var crossing = 0
            for viewer in 0..<users {
                for step in 1...contacts where home[viewer] != home[(viewer + step) % users] { crossing += 1 }
            }
            progress("N = \(n): lists")
            let lists = try await phase(expectedInputs: users * n, {
                for index in 0..<users {
                    let list = (1...contacts).map { (index + $0) % users }
                    try await publishers[home[index]].publish(MQTTMessage(topic: topics.userInput(.contacts, user: user(index)),
                                                                          payload: BenchPayloads.list(list), qos: .atLeastOnce, retain: true))
                }
                for publisher in publishers { await publisher.waitForPublishes() }
            }, until: { observed.views.load(ordering: .relaxed) >= users * (contacts + 1) })

            progress("N = \(n): \(options.events) state changes")
            let states = try await phase(expectedInputs: options.events, {
                for event in 0..<options.events {
                    let index = event % users
                    let status: DeviceStatus = (event / users) % 2 == 0 ? .online : .away
                    try await publishers[home[index]].publish(MQTTMessage(
                        topic: BenchPayloads.stateTopic(index),
                        payload: BenchPayloads.state(status, session: "s\(index)", seq: event, sent: BenchClock.now()),
                        qos: .atLeastOnce, retain: true))
                }
                for publisher in publishers { await publisher.waitForPublishes() }
            }, until: { true })
            await stopAll()
            var measured = (lists, states)
            measured.0.crossing = Double(crossing) / Double(users * (contacts + 1))
            measured.1.crossing = measured.0.crossing
            return measured
        } catch {
            await stopAll()
            throw error
        }
    }

    /// What the bench subscribers saw: views counted, and each broker's latest `bridge/stats`.
    private final class Observations: Sendable {
        let views = Atomic<Int>(0)
        let stats = Mutex<[Int: [String: Int]]>([:])
        /// `bridge/links/I/J` as last seen on broker J: up or not.
        let linksUp = Mutex<[String: Bool]>([:])
    }

    /// User + system CPU seconds of a process so far (/proc/PID/stat, fields 14 and 15).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

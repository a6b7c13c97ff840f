import Foundation
import LocalBroker
import Logging
import MQTT
import Synchronization

/// The transport benchmark: the Swift client against `mosquitto_sub`, on one stream, in one go.
///
/// Starts its own `LocalBroker`. Each round starts `mosquitto_sub -C N` (the C client as the
/// yardstick) and a Swift `MQTTClient` consuming `messages` (the `AsyncSequence`), both
/// subscribed to the same topic; a third client publishes N messages. Both receive rates are
/// measured from the moment publishing starts to the last message received (for
/// `mosquitto_sub`: to its exit after the N-th), so they compare directly. The publish rate is
/// N over the time until every publish is acknowledged (`waitForPublishes`).
public enum TransportBenchmark {
    /// One round's figures, in messages per second.
    public struct Round: Sendable {
        /// Messages/s published (until acknowledged).
        public var published: Double
        /// Messages/s received through the Swift `AsyncSequence`.
        public var swiftReceived: Double
        /// Messages/s received by `mosquitto_sub`.
        public var mosquittoSubReceived: Double
        /// The most messages waiting in the Swift client's buffer at once.
        public var bufferHighWater: Int
    }

    /// Runs 3 rounds and returns a printable report: medians and the ratio Swift / mosquitto_sub (goal ≥ 0.9).
    public static func run(messages: Int, payloadSize: Int, qos: QoS) async throws -> String {
        try await run(messages: messages, payloadSize: payloadSize, qos: qos, rounds: 3)
    }

    /// Runs `rounds` rounds; see `run(messages:payloadSize:qos:)`.
    public static func run(messages: Int, payloadSize: Int, qos: QoS, rounds: Int) async throws -> String {
        let count = max(messages, 1)
        let password = "bench-\(UInt64.random(in: 0...UInt64.max))"
        let results = try await withLocalBroker(
            users: ["bench": password], extraACL: "user bench\ntopic readwrite bench/#"
        ) { broker in
            var results: [Round] = []
            for round in 1...max(rounds, 1) {
                results.append(try await measure(
                    broker: broker, password: password, round: round, count: count,
                    payloadSize: max(payloadSize, 0), qos: qos))
            }
            return results
        }
        return report(results, messages: count, payloadSize: payloadSize, qos: qos)
    }

    private static func measure(
        broker: LocalBroker, password: String, round: Int, count: Int, payloadSize: Int, qos: QoS
    ) async throws -> Round {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let topic = "bench/stream/\(round)"
        let readyTopic = "bench/ready/\(round)"
        func client(_ name: String) throws -> MQTTClient {
            var configuration = try MQTTConfiguration(url: broker.url, clientID: "bench-\(name)-\(round)")
            configuration.username = "bench"
            configuration.password = password
            return MQTTClient(configuration: configuration, logger: logger)
        }
        let publisher = try client("publisher")
        try await publisher.connect()
        // A retained "ready" message: mosquitto_sub prints it once its subscription is in place.
        try await publisher.publish(MQTTMessage(topic: readyTopic, payload: Array("ready".utf8), qos: .atLeastOnce, retain: true))
        await publisher.waitForPublishes()

        let sub = try await ChildProcess.spawn("mosquitto_sub", [
            "-h", "127.0.0.1", "-p", "\(broker.port)", "-u", "bench", "-P", password, "-i", "bench-mosquitto_sub-\(round)",
            "-q", "\(qos.rawValue)", "-t", readyTopic, "-t", topic, "-F", "%t", "-C", "\(count + 1)",
        ])
        let swift = try client("swift")
        do {
            try await swift.connect()
            _ = try await swift.subscribe([topic], qos: qos)
            _ = try await sub.waitForLine(containing: readyTopic, timeout: .seconds(30))

            let start = ContinuousClock.now
            let swiftDone = Task.detached { () -> ContinuousClock.Instant in
                var received = 0
                for await _ in swift.messages {
                    received += 1
                    if received == count { break }
                }
                return ContinuousClock.now
            }
            // mosquitto_sub exits after its N-th message: its exit time ends its round.
            let subDone = Task { () -> ContinuousClock.Instant? in
                guard (try? await sub.waitForExit(timeout: .seconds(300))) != nil else { return nil }
                return ContinuousClock.now
            }
            var payload = [UInt8](repeating: 0x61, count: payloadSize)
            for index in 0..<count {
                if payloadSize >= 4 {
                    payload[0] = UInt8(truncatingIfNeeded: index >> 24)
                    payload[1] = UInt8(truncatingIfNeeded: index >> 16)
                    payload[2] = UInt8(truncatingIfNeeded: index >> 8)
                    payload[3] = UInt8(truncatingIfNeeded: index)
                }
                try await publisher.publish(MQTTMessage(topic: topic, payload: payload, qos: qos))
            }
            await publisher.waitForPublishes()
            let published = ContinuousClock.now
            let subEnd = await subDone.value
            let swiftEnd = try await withTimeout(.seconds(300)) { await swiftDone.value }
            guard let subEnd else {
                throw ChildProcessError(message: "mosquitto_sub did not receive \(count) messages within 300 s")
            }
            let statistics = swift.statistics
            await swift.disconnect()
            await sub.terminate()
            try await publisher.publish(MQTTMessage(topic: readyTopic, payload: [], qos: .atLeastOnce, retain: true))
            await publisher.waitForPublishes()
            await publisher.disconnect()
            return Round(
                published: rate(count, start, published),
                swiftReceived: rate(count, start, swiftEnd),
                mosquittoSubReceived: rate(count, start, subEnd),
                bufferHighWater: statistics.bufferHighWater)
        } catch {
            await sub.terminate()
            await swift.abortConnection()
            await publisher.abortConnection()
            throw error
        }
    }

    private static func withTimeout<T: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable () async -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ChildProcessError(message: "the Swift consumer did not finish within \(timeout)")
            }
            return value
        }
    }

    private static func rate(_ count: Int, _ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) -> Double {
        let elapsed = end - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(count) / seconds : 0
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func report(_ rounds: [Round], messages: Int, payloadSize: Int, qos: QoS) -> String {
        func number(_ value: Double) -> String { String(Int(value.rounded())) }
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(width - text.count, 0)) + text }
        var lines = [
            "Transport benchmark: \(messages) messages of \(payloadSize) B, QoS \(qos.rawValue), \(rounds.count) rounds, "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores",
            "round  published/s  swift received/s  mosquitto_sub received/s  ratio  buffer high-water",
        ]
        for (index, round) in rounds.enumerated() {
            let ratio = round.mosquittoSubReceived > 0 ? round.swiftReceived / round.mosquittoSubReceived : 0
            lines.append(
                pad("\(index + 1)", 5) + pad(number(round.published), 13) + pad(number(round.swiftReceived), 18)
                    + pad(number(round.mosquittoSubReceived), 26) + pad(String(format: "%.2f", ratio), 7)
                    + pad("\(round.bufferHighWater)", 19))
        }
        let published = median(rounds.map(\.published))
        let swift = median(rounds.map(\.swiftReceived))
        let sub = median(rounds.map(\.mosquittoSubReceived))
        let ratio = sub > 0 ? swift / sub : 0
        lines.append(
            "median" + pad(number(published), 12) + pad(number(swift), 18) + pad(number(sub), 26)
                + pad(String(format: "%.2f", ratio), 7))
        lines.append("Swift / mosquitto_sub = \(String(format: "%.2f", ratio)) (goal >= 0.90): \(ratio >= 0.9 ? "met" : "NOT met")")
        return lines.joined(separator: "\n")
    }
}

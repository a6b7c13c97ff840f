import ArgumentParser
import LoadBenchmarks
import MQTT

/// `presence-bench transport`: the Swift MQTT client against mosquitto_sub.
struct TransportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Raw MQTT transport: the Swift client's receive rate against mosquitto_sub on one stream."
    )

    @Option(help: "Messages per round.") var messages = 200_000
    @Option(help: "Payload size in bytes.") var payloadSize = 120
    @Option(help: "QoS 0, 1 or 2.") var qos: UInt8 = 1

    func run() async throws {
        guard let level = QoS(rawValue: qos) else { throw ValidationError("--qos must be 0, 1 or 2") }
        print(try await TransportBenchmark.run(messages: messages, payloadSize: payloadSize, qos: level))
    }
}

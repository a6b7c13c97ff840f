import ArgumentParser
import Foundation
import LoadBenchmarks
import MQTT

/// `presence-bench null-bridge`: the null bridge (`NullBridge`) of `load`'s baseline.
///
/// Prints `ready` once subscribed; runs until its connection ends or SIGTERM.
struct NullBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "null-bridge",
        abstract: "Relay each state input as its C + 1 views and nothing else (the baseline of load).",
        shouldDisplay: false
    )

    @Option(help: "Broker URL.") var broker: String
    @Option(help: "Broker user name.") var username: String
    @Option(help: "File holding the password.") var passwordFile: String
    @Option(help: "Users in the benchmark's ring.") var users: Int
    @Option(help: "Contacts per user in the ring.") var contacts: Int

    func run() async throws {
        var configuration = try MQTTConfiguration(url: broker, clientID: "null-bridge")
        configuration.username = username
        configuration.password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        configuration.reconnect.enabled = false
        try await NullBridge.run(configuration: configuration, ring: BenchRing(users: users, contacts: contacts)) {
            print("ready")
            fflush(nil)
        }
    }
}

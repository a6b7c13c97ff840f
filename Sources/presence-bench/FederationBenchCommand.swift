import ArgumentParser
import Foundation
import LoadBenchmarks

/// `presence-bench federation`: per-unit costs of N brokers and N shards beside one of each.
struct FederationBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation",
        abstract: "CPU per view and per forwarded list of a federation of N brokers and shards, beside N = 1 in the same run."
    )

    @Option(help: "Users, in a ring of --contacts contacts.") var users = 3_000
    @Option(help: "Contacts per user (a state change is contacts + 1 views).") var contacts = 10
    @Option(help: "State changes in the second phase.") var events = 30_000
    @Option(help: "Federation sizes to measure, comma-separated (1 = one broker, one bridge).") var sizes = "1,3"
    @Option(help: "The presence-bridge executable (default: the one beside this program).") var bridge: String?

    func run() async throws {
        var options = FederationBenchmark.Options()
        options.users = users
        options.contacts = contacts
        options.events = events
        options.sizes = sizes.split(separator: ",").compactMap { Int($0) }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("presence-bridge").path
        options.executable = bridge ?? beside
        let report = try await FederationBenchmark.run(options) { line in
            FileHandle.standardError.write(Data(("… " + line + "\n").utf8))
        }
        print(report)
    }
}

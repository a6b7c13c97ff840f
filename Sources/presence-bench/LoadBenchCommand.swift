import ArgumentParser
import Foundation
import LoadBenchmarks

/// `presence-bench load`: the bridge under load beside the raw broker.
struct LoadBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Run the bridge under load on its own mosquitto, beside a raw publisher -> subscriber relay.",
        discussion: """
        Starts mosquitto (the shipped mosquitto.conf on a free port, plus a 'bench' user allowed to write every input),
        starts 'presence-bridge run' as the bridge (--rate-limit 0 --offline-grace 0), sets up the users and runs the
        scenarios: cold start, status-change throughput, latency at paced rates, heartbeat storm, privacy change, login
        wave, will storms, restarts. Throughput and latency also run through a null bridge (presence-bench null-bridge:
        each state input relayed as its views, nothing else, on topics of its own). Prints a table with every figure
        beside the raw relay's and the null bridge's; nothing is asserted.
        """
    )

    @Option(help: "Users in the main run (default 10000; 2000 with --quick).") var users: Int?
    @Option(help: "Contacts per user, i.e. viewers per change besides the user itself (default 10).") var contacts: Int?
    @Option(help: "Rounds of the throughput and latency comparisons (default 3; 1 with --quick).") var rounds: Int?
    @Option(help: "Users of the restart measurement on its own broker (default 10000; 2000 with --quick).") var restartUsers: Int?
    @Option(help: "Contacts per user in the restart measurement (default 50; 20 with --quick).") var restartContacts: Int?
    @Option(help: "State changes per throughput round (default 30000; 5000 with --quick).") var throughputEvents: Int?
    @Option(help: "Events/s of the fixed-rate latency comparison (default 5000).") var latencyRate: Int?
    @Option(help: "Seconds per latency round (default 5; 2 with --quick).") var latencySeconds: Double?
    @Flag(help: "Small sizes: a smoke run of about a minute.") var quick = false
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Option(help: "The presence-bridge executable to benchmark (default: presence-bridge beside this executable).") var bridge: String?
    @Option(help: "Only these scenarios, comma-separated (the cold start always runs): throughput, latency, heartbeat, privacy, login, wills, real-wills, restart, large-restart.") var only: String?

    func run() async throws {
        let executable = bridge ?? LoadBenchmark.siblingExecutable("presence-bridge")
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("no presence-bridge executable at \(executable) (build it, or pass --bridge PATH)")
        }
        var options = quick ? LoadBenchmarkOptions.quick(bridgeExecutable: executable) : .full(bridgeExecutable: executable)
        if let users { options.setUsers(users) }
        if let contacts { options.contacts = contacts }
        if let rounds { options.rounds = rounds }
        if let throughputEvents { options.throughputEvents = throughputEvents }
        if let latencyRate { options.latencyRate = latencyRate }
        if let latencySeconds { options.latencySeconds = latencySeconds }
        if let restartUsers { options.restartUsers = restartUsers }
        if let restartContacts { options.restartContacts = restartContacts }
        if let only { options.only = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let report = try await LoadBenchmark.run(options) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        print(report.table)
        if let json {
            try report.json().write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }
}

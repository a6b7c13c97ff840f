import ArgumentParser
import EngineBenchmarks
import Foundation
import LoadBenchmarks
import MQTT

/// `presence-bridge bench`: the benchmarks (build with `-c release`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: the bridge under load, the MQTT transport, the presence engine (release build).",
        subcommands: [LoadBenchCommand.self, TransportBenchCommand.self, EngineBenchCommand.self, DevicesBenchCommand.self]
    )
}

/// `presence-bridge bench load`: the bridge under load beside the raw broker.
struct LoadBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Run the bridge under load on its own mosquitto, beside a raw publisher -> subscriber relay.",
        discussion: """
        Starts mosquitto (the shipped mosquitto.conf on a free port, plus a 'bench' user allowed to write every input),
        starts this executable's 'run' as the bridge (--rate-limit 0 --offline-grace 0), sets up the users and runs the
        scenarios: cold start, status-change throughput, latency at a paced rate, heartbeat storm, privacy change, login
        wave, will storms, restarts. Prints a table with every figure beside the raw relay's; nothing is asserted.
        """
    )

    @Option(help: "Users in the main run (default 10000; 2000 with --quick).") var users: Int?
    @Option(help: "Contacts per user, i.e. viewers per change besides the user itself (default 10).") var contacts: Int?
    @Option(help: "Rounds of the throughput and latency comparisons (default 3; 1 with --quick).") var rounds: Int?
    @Option(help: "Users of the restart measurement on its own broker (default 10000; 2000 with --quick).") var restartUsers: Int?
    @Option(help: "Contacts per user in the restart measurement (default 50; 20 with --quick).") var restartContacts: Int?
    @Flag(help: "Small sizes: a smoke run of about a minute.") var quick = false
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Option(help: "The presence-bridge executable to benchmark (default: this one).") var bridge: String?
    @Option(help: "Only these scenarios, comma-separated (the cold start always runs): throughput, latency, heartbeat, privacy, login, wills, real-wills, restart, large-restart.") var only: String?

    func run() async throws {
        let executable = bridge ?? LoadBenchmark.currentExecutable()
        var options = quick ? LoadBenchmarkOptions.quick(bridgeExecutable: executable) : .full(bridgeExecutable: executable)
        if let users { options.setUsers(users) }
        if let contacts { options.contacts = contacts }
        if let rounds { options.rounds = rounds }
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

/// `presence-bridge bench transport`: the Swift MQTT client against mosquitto_sub.
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

/// `presence-bridge bench engine`: micro-benchmarks of the presence engine alone.
struct EngineBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Presence engine micro-benchmarks (no MQTT, no JSON, no store)."
    )

    func run() async throws {
        print(EngineBenchmark.run())
    }
}

/// `presence-bridge bench devices`: real device connections with wills, for `bench load`'s will storm.
///
/// Prints `ready` once every device is connected and online, cuts every connection at once
/// (no DISCONNECT, so the broker sends the wills) on a `cut` line on stdin, then prints `cut`.
struct DevicesBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Hold device connections with wills and cut them on request (used by bench load).",
        shouldDisplay: false
    )

    @Option(help: "Broker URL.") var broker: String
    @Option(help: "File holding the bench user's password.") var passwordFile: String
    @Option(help: "First user number.") var first: Int
    @Option(help: "Number of devices (at most ~300 per process: select() limit).") var count: Int
    @Option(help: "Marker number of device 0.") var seqBase: Int

    func run() async throws {
        let password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let fleet = try await DeviceFleet.connect(brokerURL: broker, password: password, first: first, count: count, seqBase: seqBase)
        print("ready")
        fflush(nil)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                while let line = readLine(), line != "cut" {}
                continuation.resume()
            }.start()
        }
        await fleet.cut()
        print("cut")
        fflush(nil)
    }
}

import ArgumentParser

/// `presence-bench`: the benchmarks of the presence bridge (build with `-c release`).
///
/// The bridge under test is the `presence-bridge` executable, run as a child process: this
/// program holds the load generator, the yardsticks and the local broker, none of which ships
/// in `presence-bridge`.
@main
struct PresenceBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presence-bench",
        abstract: "Benchmarks: the bridge under load, the MQTT transport, the presence engine (release build).",
        subcommands: [LoadBenchCommand.self, TransportBenchCommand.self, EngineBenchCommand.self, DevicesBenchCommand.self,
                      NullBridgeCommand.self, FederationBenchCommand.self]
    )
}

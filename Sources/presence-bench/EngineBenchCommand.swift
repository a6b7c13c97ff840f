import ArgumentParser
import EngineBenchmarks

/// `presence-bench engine`: micro-benchmarks of the presence engine alone.
struct EngineBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Presence engine micro-benchmarks (no MQTT, no JSON, no store)."
    )

    func run() async throws {
        print(EngineBenchmark.run())
    }
}

import Foundation
import LoadBenchmarks
import LocalBroker
import Testing

/// `presence-bench load` as a real process at small sizes: the throughput and latency scenarios
/// run beside the raw relay and the null bridge, and the report holds their figures. It checks
/// that figures were produced, never what they are (goals are reported, not asserted).
@Suite("presence-bench load, a quick run", .timeLimit(.minutes(5)))
struct LoadBenchSmokeTests {
    /// An executable of this package's build folder, found from the test binary upwards.
    static func builtExecutable(_ name: String) throws -> String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw ChildProcessError(message: "no \(name) executable above \(testBinary): build every product (swift build --build-tests)")
    }

    @Test("throughput and latency beside the raw relay and the null bridge produce their figures")
    func throughputAndLatencyFigures() async throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("bench-smoke-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        let bench = try await ChildProcess.spawn(try Self.builtExecutable("presence-bench"), [
            "load", "--quick", "--only", "throughput,latency", "--users", "200", "--rounds", "1",
            "--throughput-events", "1000", "--latency-rate", "500", "--latency-seconds", "1", "--json", json,
        ])
        let status = try await bench.waitForExit(timeout: .seconds(240))
        try #require(status == 0, "presence-bench load exited with \(status): \(bench.errorLines.suffix(10))")
        let report = try JSONDecoder().decode(LoadReport.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(report.problems.isEmpty, "\(report.problems)")

        let throughput = try #require(report.scenarios.first { $0.name.hasPrefix("status changes") })
        #expect((throughput.viewsPerSecond ?? 0) > 0)
        #expect((throughput.rawPerSecond ?? 0) > 0)
        let nullThroughput = try #require(throughput.nullBridge)
        #expect((nullThroughput.viewsPerSecond ?? 0) > 0)
        #expect(nullThroughput.met != nil, "the goal against the null bridge is judged")

        let shares = report.scenarios.filter { $0.name.contains("% of raw") }
        #expect(shares.count == 2, "latency at 25 % and at 50 % of the raw relay's rate")
        for scenario in shares {
            #expect((scenario.lastView?.count ?? 0) > 0, "\(scenario.name): the bridge's latencies")
            #expect((scenario.rawLatency?.count ?? 0) > 0, "\(scenario.name): the raw relay's latencies")
            #expect((scenario.nullBridge?.lastView?.count ?? 0) > 0, "\(scenario.name): the null bridge's latencies")
            #expect(scenario.nullBridge?.met != nil, "\(scenario.name): the goal against the null bridge is judged")
        }
        #expect(bench.outputLines.contains { $0.hasPrefix("beside the null bridge") }, "the table prints them side by side")
    }
}

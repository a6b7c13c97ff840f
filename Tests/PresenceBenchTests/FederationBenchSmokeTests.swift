import Foundation
import LocalBroker
import Testing

/// `presence-bench federation` as a real process at small sizes: N = 1 and N = 3 run and the
/// report holds their figures and the cost model. It checks that figures were produced, and the
/// counts the run implies exactly (every list reaches the two other shards), never the speed.
@Suite("presence-bench federation, a quick run", .timeLimit(.minutes(5)))
struct FederationBenchSmokeTests {
    @Test("N = 1 and N = 3 produce their rows, every list crosses the links, and the model is printed")
    func figures() async throws {
        let bench = try await ChildProcess.spawn(try LoadBenchSmokeTests.builtExecutable("presence-bench"), [
            "federation", "--users", "90", "--contacts", "3", "--events", "300",
        ])
        let status = try await bench.waitForExit(timeout: .seconds(240))
        try #require(status == 0, "presence-bench federation exited with \(status): \(bench.errorLines.suffix(10))")
        let report = bench.outputLines
        #expect(report.contains { $0.hasPrefix("| 1 | states |") })
        let lists = try #require(report.first { $0.hasPrefix("| 3 | lists |") }, "\(report)")
        #expect(lists.contains("| 360 |"), "every view of the lists phase arrived (90 × 4): \(lists)")
        let taken = lists.split(separator: "|").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        #expect(taken.split(separator: "/").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.reduce(0, +) == 180,
                "each of the 90 lists reached the 2 other shards: \(taken)")
        #expect(report.contains { $0.hasPrefix("Cost model") })
        #expect(report.contains { $0.hasPrefix("| 30 |") })
    }
}

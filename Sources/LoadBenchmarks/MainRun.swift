import Foundation
import MQTT

/// The main run: one broker, one bridge, `users` users; every scenario but the large restart.
///
/// Scenarios run one after another and each leaves the users in a known state for the next:
/// all online after the setup, the throughput, latency, heartbeat and privacy scenarios;
/// online again after the login wave; offline after the will storms. The throughput and latency
/// scenarios also run through the null bridge (`NullBridge`), on topics of its own.
final class MainRun {
    let env: BenchEnvironment
    let options: LoadBenchmarkOptions
    var report: LoadReport
    /// The raw relay's deliveries per second (median of the throughput rounds).
    var rawPerSecond: Double?
    /// Size of the relay payloads: the mean view size seen at the cold start.
    var viewSize = 120

    init(env: BenchEnvironment, options: LoadBenchmarkOptions, report: LoadReport) {
        self.env = env
        self.options = options
        self.report = report
    }

    var fanout: Int { options.contacts + 1 }

    /// Runs every scenario; a failing scenario is recorded and the next one still runs.
    func run() async {
        await attempt("cold start") { try await coldStart() }
        guard report.problems.isEmpty else { return }
        if options.runs("throughput") || options.runs("latency") {
            // The baseline beside the bridge: its own prefix and broker user, so the two never
            // answer the same input; each idles while the other is measured.
            await attempt("null bridge") { try await env.startNullBridge() }
        }
        if options.runs("throughput") { await attempt("status throughput") { try await throughput() } }
        if options.runs("latency") {
            await attempt("latency") { try await latencyAtFixedRate() }
            await attempt("latency at 25% of raw") { try await latencyAtShareOfRaw(0.25) }
            await attempt("latency at 50% of raw") { try await latencyAtShareOfRaw(0.5) }
        }
        await env.stopNullBridge()
        if options.runs("heartbeat") { await attempt("heartbeat storm") { try await heartbeatStorm() } }
        if options.runs("privacy") { await attempt("privacy change") { try await privacyChange() } }
        if options.runs("login") { await attempt("login wave") { try await loginWave() } }
        if options.runs("wills") { await attempt("will storm") { try await willStorm() } }
        if options.runs("real-wills") { await attempt("real will storm") { try await realWillStorm() } }
        if options.runs("restart") { await attempt("restart") { try await restart() } }
        report.bridgeStats = env.watcher.statsJSON
        // Ratios to the raw relay for the time figures, now that its rate is known.
        if let raw = rawPerSecond, raw > 0 {
            for index in report.scenarios.indices {
                if report.scenarios[index].rawSeconds == nil, report.scenarios[index].seconds != nil,
                   !report.scenarios[index].name.hasPrefix("restart"),
                   let views = report.scenarios[index].viewsOut, views > 0 {
                    report.scenarios[index].rawSeconds = Double(views) / raw
                }
                if report.scenarios[index].rawPerSecond == nil, report.scenarios[index].viewsPerSecond != nil {
                    report.scenarios[index].rawPerSecond = raw
                }
            }
        }
    }

    private func attempt(_ name: String, _ body: () async throws -> Void) async {
        env.progress("- \(name)")
        do {
            try await body()
        } catch {
            report.problems.append("\(name): \(error)")
            env.progress("  FAILED: \(error)")
        }
    }

    func fail(_ text: String) -> BenchError { BenchError(message: text) }

    // MARK: - Cold start

    /// Retained inputs first, then the bridge: time from spawn until every view is on the broker.
    func coldStart() async throws {
        env.progress("  publishing the retained inputs of \(env.users + 1) users")
        try await env.publishSetup()
        let keys = env.allViewKeys()
        env.collector.expect(keys, .status(.online))
        let bridge = try await env.startBridge()
        guard let liveAt = await env.watcher.waitForOnline(after: 0, timeout: 300) else {
            throw fail("the bridge did not go live within 300 s: \(bridge.recentErrors)")
        }
        guard let finalAt = await env.collector.waitForExpected(timeout: 300) else {
            throw fail("\(env.collector.expectation.pending) initial views missing after 300 s")
        }
        viewSize = max(env.collector.meanViewSize, 40)
        var result = ScenarioResult(name: "cold start (empty store)", goal: "time from spawn until all \(keys.count) views are received")
        result.eventsIn = (env.users + 1) * 3
        result.viewsOut = keys.count
        result.seconds = BenchClock.seconds(bridge.startedAt, max(finalAt, liveAt))
        result.viewsPerSecond = Double(keys.count) / max(result.seconds ?? 1, 1e-6)
        result.notes.append(String(format: "spawn -> bridge/status online %.3f s; mean view %d B", BenchClock.seconds(bridge.startedAt, liveAt), viewSize))
        report.scenarios.append(result)
    }

    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// A scenario could not run to its end.
struct BenchError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

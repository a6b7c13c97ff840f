import Foundation
import MQTT

/// The main run: one broker, one bridge, `users` users; every scenario but the large restart.
///
/// Scenarios run one after another and each leaves the users in a known state for the next:
/// all online after the setup, the throughput, latency, heartbeat and privacy scenarios;
/// online again after the login wave; offline after the will storms.
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
        if options.runs("throughput") { await attempt("status throughput") { try await throughput() } }
        if options.runs("latency") {
            await attempt("latency") { try await latency(rate: options.latencyRate, goal: true) }
            let low = max(options.latencyRate / 5, 1)
            await attempt("latency (low rate)") { try await latency(rate: low, goal: false) }
        }
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

    // MARK: - Throughput

    struct Round {
        var eventsPerSecond: Double
        var viewsPerSecond: Double
        var views: Int
        var completed: Int
        var first: LatencySummary
        var last: LatencySummary
        var incomplete: Int
    }

    /// Raw relay and status changes, alternating, `rounds` times each; medians.
    func throughput() async throws {
        var raw: [Double] = []
        var rounds: [Round] = []
        for round in 1...options.rounds {
            raw.append(try await rawThroughputRound(messages: options.throughputEvents * fanout))
            rounds.append(try await statusRound(events: options.throughputEvents))
            env.progress(String(format: "  round %d: raw %.0f deliveries/s, bridge %.0f views/s (%.0f events/s)",
                                round, raw.last ?? 0, rounds.last?.viewsPerSecond ?? 0, rounds.last?.eventsPerSecond ?? 0))
        }
        let rawMedian = median(raw)
        rawPerSecond = rawMedian
        let sorted = rounds.sorted { $0.viewsPerSecond < $1.viewsPerSecond }
        let middle = sorted[sorted.count / 2]
        var result = ScenarioResult(name: "status changes, fan-out \(fanout)", goal: "views/s >= 0.8 x raw relay deliveries/s")
        result.eventsIn = options.throughputEvents
        result.eventsPerSecond = middle.eventsPerSecond
        result.viewsOut = middle.views
        result.viewsPerSecond = middle.viewsPerSecond
        result.rawPerSecond = rawMedian
        result.firstView = middle.first
        result.lastView = middle.last
        result.met = middle.viewsPerSecond >= 0.8 * rawMedian
        result.notes.append("rounds views/s: " + rounds.map { String(Int($0.viewsPerSecond)) }.joined(separator: ", ")
                            + "; raw deliveries/s: " + raw.map { String(Int($0)) }.joined(separator: ", "))
        result.notes.append("latencies at saturation (publisher unpaced), of the \(middle.completed) events whose \(fanout) views all arrived")
        result.notes.append("\(options.throughputEvents * fanout - middle.views) of \(options.throughputEvents * fanout) views were replaced in the bridge's outbox before they were sent (coalesced: the input outran the output)")
        report.scenarios.append(result)
    }

    /// The raw relay as fast as it goes: `messages` retained QoS 1 view-sized messages, one subscriber.
    func rawThroughputRound(messages: Int) async throws -> Double {
        let before = env.collector.relayReceived
        let topics = max(env.users * fanout, 1)
        // Built beforehand: the bridge's cost is measured, not the load generator's.
        let sent = BenchClock.now()
        let prepared = (0..<messages).map { index in
            MQTTMessage(topic: "bench/relay/\(index % topics)", payload: BenchPayloads.relayPayload(seq: index, sent: sent, size: viewSize),
                        qos: .atLeastOnce, retain: true)
        }
        let start = BenchClock.now()
        for message in prepared {
            try await env.publisher.publish(message)
        }
        await env.publisher.waitForPublishes()
        let deadline = BenchClock.now() + 120_000_000
        while env.collector.relayReceived - before < messages, BenchClock.now() < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        let received = env.collector.relayReceived - before
        guard received >= messages else { throw fail("raw relay: \(received) of \(messages) delivered within 120 s") }
        return Double(messages) / max(BenchClock.seconds(start, env.collector.lastRelayAt), 1e-6)
    }

    /// Unpaced state changes, round robin over the users: every change reaches `fanout` views.
    func statusRound(events: Int) async throws -> Round {
        let firstSeq = env.nextSeq
        env.collector.startTracking(fanout: fanout, firstSeq: firstSeq)
        let before = env.collector.viewsReceived
        let start = BenchClock.now()
        for index in 0..<events {
            try await env.publishState(index % env.users)
        }
        await env.publisher.waitForPublishes()
        let deadline = BenchClock.now() + 180_000_000
        var lastProgress = (env.collector.viewsReceived, BenchClock.now())
        while env.collector.completedEvents.count < events, BenchClock.now() < deadline {
            try await Task.sleep(for: .milliseconds(2))
            let received = env.collector.viewsReceived
            if received != lastProgress.0 {
                lastProgress = (received, BenchClock.now())
            } else if BenchClock.seconds(lastProgress.1, BenchClock.now()) > 3 {
                break  // quiet for 3 s: some views were coalesced (or lost)
            }
        }
        let completed = env.collector.completedEvents
        let views = env.collector.viewsReceived - before
        let lastView = env.collector.lastViewAt
        let latency = env.collector.stopTracking()
        return Round(
            eventsPerSecond: Double(events) / max(BenchClock.seconds(start, max(lastView, completed.lastAt)), 1e-6),
            viewsPerSecond: Double(views) / max(BenchClock.seconds(start, lastView), 1e-6),
            views: views, completed: completed.count, first: latency.first, last: latency.last, incomplete: latency.incomplete)
    }

    // MARK: - Latency

    /// Paced state changes at `latencyRate`/s beside the raw relay at the same message rate.
    func latency(rate events: Int, goal: Bool) async throws {
        let rate = Double(events)
        let count = max(Int(rate * options.latencySeconds), 1)
        var raws: [LatencySummary] = []
        var bridges: [(first: LatencySummary, last: LatencySummary, incomplete: Int)] = []
        for round in 1...options.rounds {
            // Raw relay: one message per event, publish -> delivery.
            let relayStart = env.nextSeq
            env.nextSeq += count
            env.collector.startTracking(fanout: 1, firstSeq: relayStart)
            let topics = max(env.users * fanout, 1)
            let relayBefore = env.collector.relayReceived
            _ = try await env.paced(count: count, rate: rate) { index in
                let payload = BenchPayloads.relayPayload(seq: relayStart + index, sent: BenchClock.now(), size: viewSize)
                try await env.publish("bench/relay/\(index % topics)", payload)
            }
            let relayDeadline = BenchClock.now() + 30_000_000
            while env.collector.relayReceived - relayBefore < count, BenchClock.now() < relayDeadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            raws.append(env.collector.stopTracking().first)

            // The bridge: state changes round robin, each seen by `fanout` viewers.
            let firstSeq = env.nextSeq
            env.collector.startTracking(fanout: fanout, firstSeq: firstSeq)
            _ = try await env.paced(count: count, rate: rate) { index in
                try await env.publishState(index % env.users)
            }
            let deadline = BenchClock.now() + 30_000_000
            while env.collector.completedEvents.count < count, BenchClock.now() < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(200))
            let tracked = env.collector.stopTracking()
            bridges.append((tracked.first, tracked.last, tracked.incomplete))
            env.progress(String(format: "  round %d: raw p99 %.2f ms, bridge last-view p99 %.2f ms (first %.2f ms)", round,
                                Double(raws.last?.p99 ?? 0) / 1000, Double(tracked.last.p99) / 1000, Double(tracked.first.p99) / 1000))
        }
        let raw = raws.sorted { $0.p99 < $1.p99 }[raws.count / 2]
        let bridge = bridges.sorted { $0.last.p99 < $1.last.p99 }[bridges.count / 2]
        var result = ScenarioResult(name: "latency at \(events) events/s, fan-out \(fanout)",
                                    goal: goal ? "p99 input -> last view <= raw relay p99 at \(events) msg/s + 1 ms"
                                        : "(no goal: a rate the bridge sustains, for comparison)")
        result.eventsIn = count
        result.eventsPerSecond = rate
        result.viewsOut = count * fanout
        result.firstView = bridge.first
        result.lastView = bridge.last
        result.rawLatency = raw
        result.met = goal ? bridge.last.p99 <= raw.p99 + 1000 && bridge.incomplete == 0 : nil
        result.notes.append("rounds (median shown): last-view p99 ms " + bridges.map { String(format: "%.2f", Double($0.last.p99) / 1000) }.joined(separator: ", ")
                            + "; raw p99 ms " + raws.map { String(format: "%.2f", Double($0.p99) / 1000) }.joined(separator: ", "))
        result.notes.append("the bridge path has two broker hops (input -> bridge -> viewer), the raw relay one; events incomplete: \(bridge.incomplete)")
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

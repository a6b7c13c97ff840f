import Foundation

extension MainRun {
    /// The latencies of one path (the bridge or the null bridge) in one paced round.
    struct PathLatency {
        var first: LatencySummary
        var last: LatencySummary
        /// Events not all of whose views arrived (coalesced, or late past the deadline).
        var incomplete: Int
    }

    /// What the rounds at one rate measured: each median by p99, and every round's p99 for the notes.
    struct LatencyRounds {
        var eventsPerSecond: Int
        var events: Int
        var raw: LatencySummary
        var bridge: PathLatency
        var null: PathLatency?
        var notes: [String]
    }

    /// Paced state changes at `latencyRate` events/s beside the raw relay at the same message
    /// rate; the goal: p99 input -> last view <= the raw relay's p99 + 1 ms.
    func latencyAtFixedRate() async throws {
        let rounds = try await latencyRounds(eventsPerSecond: options.latencyRate)
        var result = scenario(named: "latency at \(rounds.eventsPerSecond) events/s, fan-out \(fanout)", rounds,
                              goal: "p99 input -> last view <= raw relay p99 at \(rounds.eventsPerSecond) msg/s + 1 ms",
                              nullGoal: "(figure: the null bridge at the same rate)")
        result.met = rounds.bridge.last.p99 <= rounds.raw.p99 + 1000 && rounds.bridge.incomplete == 0
        report.scenarios.append(result)
    }

    /// Paced state changes at `share` of the view rate the raw relay sustained in this run (its
    /// deliveries/s over the fan-out, in events/s), through the bridge and the null bridge; the
    /// goal: the bridge's p99 input -> last view <= the null bridge's p99 + 2 ms.
    func latencyAtShareOfRaw(_ share: Double) async throws {
        let raw = try await rawRate()
        let events = max(Int((raw * share / Double(fanout)).rounded()), 1)
        let rounds = try await latencyRounds(eventsPerSecond: events)
        let percent = Int((share * 100).rounded())
        var result = scenario(named: "latency at \(percent)% of raw: \(events) events/s, fan-out \(fanout)", rounds,
                              goal: "(figures: \(events * fanout) views/s, \(percent)% of the raw relay's \(Int(raw)) deliveries/s)",
                              nullGoal: "p99 input -> last view <= null bridge p99 + 2 ms")
        if let null = rounds.null {
            result.nullBridge?.met = rounds.bridge.last.p99 <= null.last.p99 + 2000 && rounds.bridge.incomplete == 0
        }
        report.scenarios.append(result)
    }

    /// The raw relay's deliveries/s of this run: from the throughput scenario, or measured now.
    func rawRate() async throws -> Double {
        if let rawPerSecond { return rawPerSecond }
        var rates: [Double] = []
        for _ in 1...options.rounds {
            rates.append(try await rawThroughputRound(messages: options.throughputEvents * fanout))
        }
        let rate = median(rates)
        rawPerSecond = rate
        env.progress(String(format: "  raw relay: %.0f deliveries/s", rate))
        return rate
    }

    /// `rounds` rounds at `eventsPerSecond`: the raw relay (one message per event), then the
    /// bridge and the null bridge taking turns going first.
    func latencyRounds(eventsPerSecond: Int) async throws -> LatencyRounds {
        let rate = Double(eventsPerSecond)
        let count = max(Int(rate * options.latencySeconds), 1)
        let withNull = env.nullBridge != nil
        var raws: [LatencySummary] = []
        var bridges: [PathLatency] = []
        var nulls: [PathLatency] = []
        for round in 1...options.rounds {
            raws.append(try await rawLatencyRound(count: count, rate: rate))
            let bridgeFirst = round % 2 == 1 || !withNull
            if bridgeFirst { bridges.append(try await pacedRound(count: count, rate: rate, via: .bridge)) }
            if withNull { nulls.append(try await pacedRound(count: count, rate: rate, via: .nullBridge)) }
            if !bridgeFirst { bridges.append(try await pacedRound(count: count, rate: rate, via: .bridge)) }
            env.progress(String(format: "  round %d at %d events/s: raw p99 %.2f ms, last-view p99 bridge %.2f ms, null bridge %.2f ms",
                                round, eventsPerSecond, Double(raws.last?.p99 ?? 0) / 1000,
                                Double(bridges.last?.last.p99 ?? 0) / 1000, Double(nulls.last?.last.p99 ?? 0) / 1000))
        }
        func ms(_ values: [Int]) -> String { values.map { String(format: "%.2f", Double($0) / 1000) }.joined(separator: ", ") }
        var notes = ["rounds (median shown): last-view p99 ms bridge " + ms(bridges.map(\.last.p99))
                     + (withNull ? "; null bridge " + ms(nulls.map(\.last.p99)) : "") + "; raw p99 ms " + ms(raws.map(\.p99))]
        let null = withNull ? Self.medianByP99(nulls) : nil
        let bridge = Self.medianByP99(bridges)
        notes.append("the bridge and the null bridge take two broker hops (input -> relay -> viewer), the raw relay one; events incomplete: bridge \(bridge.incomplete)"
                     + (null.map { ", null bridge \($0.incomplete)" } ?? ""))
        return LatencyRounds(eventsPerSecond: eventsPerSecond, events: count, raw: raws.sorted { $0.p99 < $1.p99 }[raws.count / 2],
                             bridge: bridge, null: null, notes: notes)
    }

    /// The round of median last-view p99.
    static func medianByP99(_ rounds: [PathLatency]) -> PathLatency {
        rounds.sorted { $0.last.p99 < $1.last.p99 }[rounds.count / 2]
    }

    /// The scenario's row: the bridge beside the raw relay, and the null bridge's figures.
    private func scenario(named name: String, _ rounds: LatencyRounds, goal: String, nullGoal: String) -> ScenarioResult {
        var result = ScenarioResult(name: name, goal: goal)
        result.eventsIn = rounds.events
        result.eventsPerSecond = Double(rounds.eventsPerSecond)
        result.viewsOut = rounds.events * fanout
        result.firstView = rounds.bridge.first
        result.lastView = rounds.bridge.last
        result.rawLatency = rounds.raw
        result.notes = rounds.notes
        if let null = rounds.null {
            var figures = NullBridgeFigures(goal: nullGoal)
            figures.eventsPerSecond = Double(rounds.eventsPerSecond)
            figures.viewsOut = rounds.events * fanout
            figures.firstView = null.first
            figures.lastView = null.last
            result.nullBridge = figures
        }
        return result
    }

    /// The raw relay paced at `rate` messages/s: one retained QoS 1 view-sized message per event,
    /// publish -> delivery.
    func rawLatencyRound(count: Int, rate: Double) async throws -> LatencySummary {
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
        return env.collector.stopTracking().first
    }

    /// State changes paced at `rate`/s, round robin over the users, through `path`; each is
    /// complete once its `fanout` views arrived.
    func pacedRound(count: Int, rate: Double, via path: ViewPath) async throws -> PathLatency {
        let firstSeq = env.nextSeq
        env.collector.startTracking(fanout: fanout, firstSeq: firstSeq)
        _ = try await env.paced(count: count, rate: rate) { index in
            try await env.publishState(index % env.users, via: path)
        }
        let deadline = BenchClock.now() + 30_000_000
        while env.collector.completedEvents.count < count, BenchClock.now() < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(200))
        let tracked = env.collector.stopTracking()
        return PathLatency(first: tracked.first, last: tracked.last, incomplete: tracked.incomplete)
    }
}

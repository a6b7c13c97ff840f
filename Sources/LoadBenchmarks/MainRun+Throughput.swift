import MQTT

extension MainRun {
    /// One unpaced round of state changes through one path.
    struct Round {
        var eventsPerSecond: Double
        var viewsPerSecond: Double
        var views: Int
        var completed: Int
        var first: LatencySummary
        var last: LatencySummary
        var incomplete: Int
    }

    /// Raw relay, bridge and null bridge, `rounds` times each (the bridge and the null bridge
    /// take turns going first); medians.
    ///
    /// The goals: the bridge's views/s at least 0.8 × the raw relay's deliveries/s, and at least
    /// 0.9 × the null bridge's views/s (two broker hops and no logic: the floor of any bridge).
    func throughput() async throws {
        let withNull = env.nullBridge != nil
        var raw: [Double] = []
        var rounds: [Round] = []
        var nullRounds: [Round] = []
        for round in 1...options.rounds {
            raw.append(try await rawThroughputRound(messages: options.throughputEvents * fanout))
            let bridgeFirst = round % 2 == 1 || !withNull
            if bridgeFirst { rounds.append(try await statusRound(events: options.throughputEvents, via: .bridge)) }
            if withNull { nullRounds.append(try await statusRound(events: options.throughputEvents, via: .nullBridge)) }
            if !bridgeFirst { rounds.append(try await statusRound(events: options.throughputEvents, via: .bridge)) }
            env.progress(String(format: "  round %d: raw %.0f deliveries/s, bridge %.0f views/s (%.0f events/s), null bridge %.0f views/s",
                                round, raw.last ?? 0, rounds.last?.viewsPerSecond ?? 0, rounds.last?.eventsPerSecond ?? 0,
                                nullRounds.last?.viewsPerSecond ?? 0))
        }
        let rawMedian = median(raw)
        rawPerSecond = rawMedian
        let middle = Self.medianRound(rounds)
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
        if withNull {
            let null = Self.medianRound(nullRounds)
            var figures = NullBridgeFigures(goal: "bridge views/s >= 0.9 x null bridge views/s")
            figures.eventsPerSecond = null.eventsPerSecond
            figures.viewsOut = null.views
            figures.viewsPerSecond = null.viewsPerSecond
            figures.firstView = null.first
            figures.lastView = null.last
            figures.met = middle.viewsPerSecond >= 0.9 * null.viewsPerSecond
            figures.notes.append("null bridge rounds views/s: " + nullRounds.map { String(Int($0.viewsPerSecond)) }.joined(separator: ", ")
                                 + String(format: "; events/s: bridge %.0f, null bridge %.0f (the null bridge sends every view, the bridge coalesces)",
                                          middle.eventsPerSecond, null.eventsPerSecond))
            result.nullBridge = figures
        }
        report.scenarios.append(result)
    }

    /// The round of median views/s.
    static func medianRound(_ rounds: [Round]) -> Round {
        rounds.sorted { $0.viewsPerSecond < $1.viewsPerSecond }[rounds.count / 2]
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

    /// Unpaced state changes, round robin over the users, through `path`: every change reaches
    /// `fanout` views.
    func statusRound(events: Int, via path: ViewPath) async throws -> Round {
        let firstSeq = env.nextSeq
        env.collector.startTracking(fanout: fanout, firstSeq: firstSeq)
        let before = env.collector.viewsReceived(via: path)
        let start = BenchClock.now()
        for index in 0..<events {
            try await env.publishState(index % env.users, via: path)
        }
        await env.publisher.waitForPublishes()
        let deadline = BenchClock.now() + 180_000_000
        var lastProgress = (env.collector.viewsReceived(via: path), BenchClock.now())
        while env.collector.completedEvents.count < events, BenchClock.now() < deadline {
            try await Task.sleep(for: .milliseconds(2))
            let received = env.collector.viewsReceived(via: path)
            if received != lastProgress.0 {
                lastProgress = (received, BenchClock.now())
            } else if BenchClock.seconds(lastProgress.1, BenchClock.now()) > 3 {
                break  // quiet for 3 s: some views were coalesced (or lost)
            }
        }
        let completed = env.collector.completedEvents
        let views = env.collector.viewsReceived(via: path) - before
        let lastView = env.collector.lastViewAt(via: path)
        let latency = env.collector.stopTracking()
        return Round(
            eventsPerSecond: Double(events) / max(BenchClock.seconds(start, max(lastView, completed.lastAt)), 1e-6),
            viewsPerSecond: Double(views) / max(BenchClock.seconds(start, lastView), 1e-6),
            views: views, completed: completed.count, first: latency.first, last: latency.last, incomplete: latency.incomplete)
    }
}

import Foundation

/// Everything one `bench load` run measured, printable as a table and encodable as JSON.
public struct LoadReport: Codable, Sendable {
    /// The sizes of the run.
    public var options: LoadBenchmarkOptions
    /// ISO 8601 start time.
    public var date: String
    /// `nproc` and the CPU model.
    public var machine: String
    /// The scenarios in the order they ran.
    public var scenarios: [ScenarioResult] = []
    /// Peak RSS (VmHWM) of the main run's bridge, KiB.
    public var bridgePeakRSSKiB: Int?
    /// CPU seconds the main run's bridge used.
    public var bridgeCPUSeconds: Double?
    /// The bridge's last `bridge/stats` of the main run.
    public var bridgeStats: String?
    /// Wall time of the whole run, seconds.
    public var totalSeconds: Double = 0
    /// Problems met on the way (a scenario that failed or timed out).
    public var problems: [String] = []

    /// The table: rates and times with ratios to the raw relay, then latencies, then goals.
    public var table: String {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        func lpad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
        }
        func rate(_ value: Double?) -> String { value.map { String(Int($0.rounded())) } ?? "-" }
        func ratio(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        func secs(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
        var lines = [
            "presence-bench load, \(date), \(machine)",
            "users \(options.users), contacts \(options.contacts) (fan-out \(options.contacts + 1) views per change: contacts + self), "
                + "rounds \(options.rounds)\(options.quick ? ", QUICK sizes" : "")",
            "",
            pad("scenario", 50) + lpad("events", 8) + lpad("in/s", 9) + lpad("views", 9) + lpad("views/s", 9)
                + lpad("raw/s", 9) + lpad("x raw", 7) + lpad("time s", 9) + lpad("raw s", 8) + lpad("x raw", 7),
        ]
        for s in scenarios {
            lines.append(pad(s.name, 50) + lpad(s.eventsIn.map(String.init) ?? "-", 8) + lpad(rate(s.eventsPerSecond), 9)
                + lpad(s.viewsOut.map(String.init) ?? "-", 9) + lpad(rate(s.viewsPerSecond), 9) + lpad(rate(s.rawPerSecond), 9)
                + lpad(ratio(s.rateRatio), 7) + lpad(secs(s.seconds), 9) + lpad(secs(s.rawSeconds), 8) + lpad(ratio(s.timeRatio), 7))
        }
        lines.append("")
        lines.append("latency, ms p50/p99/p99.9/max (input publish -> view received; raw: publish -> delivery)")
        lines.append(pad("scenario", 50) + lpad("first view", 34) + lpad("last view", 34) + lpad("raw relay", 34) + lpad("p99 - raw", 12) + lpad("x raw", 9))
        for s in scenarios where s.lastView != nil || s.rawLatency != nil {
            var delta = "-"
            var times = "-"
            if let last = s.lastView, let raw = s.rawLatency, raw.count > 0 {
                delta = String(format: "%.2f", Double(last.p99 - raw.p99) / 1000)
                times = raw.p99 > 0 ? String(format: "%.2f", Double(last.p99) / Double(raw.p99)) : "-"
            }
            lines.append(pad(s.name, 50) + lpad(s.firstView?.text ?? "-", 34) + lpad(s.lastView?.text ?? "-", 34)
                + lpad(s.rawLatency?.text ?? "-", 34) + lpad(delta, 12) + lpad(times, 9))
        }
        let besideNull = scenarios.filter { $0.nullBridge != nil }
        if !besideNull.isEmpty {
            lines.append("")
            lines.append("beside the null bridge (two broker hops, no logic: its own topics and user on the same broker, idle while the bridge is measured and vice versa)")
            lines.append(pad("scenario", 50) + lpad("bridge views/s", 16) + lpad("null views/s", 14) + lpad("bridge/null", 13))
            for s in besideNull where s.viewsPerSecond != nil {
                lines.append(pad(s.name, 50) + lpad(rate(s.viewsPerSecond), 16) + lpad(rate(s.nullBridge?.viewsPerSecond), 14)
                    + lpad(ratio(s.nullRateRatio), 13))
            }
            lines.append(pad("scenario", 50) + lpad("bridge last view ms", 34) + lpad("null bridge last view ms", 34) + lpad("p99 - null", 12))
            for s in besideNull where s.lastView != nil && s.viewsPerSecond == nil {
                var delta = "-"
                if let last = s.lastView, let null = s.nullBridge?.lastView, null.count > 0 {
                    delta = String(format: "%.2f", Double(last.p99 - null.p99) / 1000)
                }
                lines.append(pad(s.name, 50) + lpad(s.lastView?.text ?? "-", 34) + lpad(s.nullBridge?.lastView?.text ?? "-", 34) + lpad(delta, 12))
            }
        }
        lines.append("")
        lines.append("goals (2-core loopback; measured, nothing asserted)")
        for s in scenarios {
            let verdict = s.met.map { $0 ? "met" : "MISSED" } ?? "(figure)"
            lines.append("  " + pad(verdict, 9) + s.name + ": " + s.goal)
            for note in s.notes { lines.append("             " + note) }
            if let null = s.nullBridge {
                let verdict = null.met.map { $0 ? "met" : "MISSED" } ?? "(figure)"
                lines.append("  " + pad(verdict, 9) + s.name + ", beside the null bridge: " + null.goal)
                for note in null.notes { lines.append("             " + note) }
            }
        }
        if let rss = bridgePeakRSSKiB {
            lines.append("")
            lines.append(String(format: "bridge peak RSS (VmHWM) in the main run: %.1f MiB; CPU %.1f s", Double(rss) / 1024, bridgeCPUSeconds ?? 0))
        }
        for problem in problems { lines.append("PROBLEM: " + problem) }
        lines.append(String(format: "total %.0f s", totalSeconds))
        return lines.joined(separator: "\n")
    }

    /// Pretty-printed JSON of the whole report.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// The figures of one scenario, each bridge figure beside the raw relay's where one applies.
public struct ScenarioResult: Codable, Sendable {
    /// Short name, e.g. "status changes, fan-out 11".
    public var name: String
    /// Inputs published.
    public var eventsIn: Int?
    /// Inputs per second, to the last view of the last event.
    public var eventsPerSecond: Double?
    /// Views received by the viewers.
    public var viewsOut: Int?
    /// Views per second received.
    public var viewsPerSecond: Double?
    /// The raw relay's deliveries per second (same broker, size and QoS).
    public var rawPerSecond: Double?
    /// Latency from the input publish to the first view of the event.
    public var firstView: LatencySummary?
    /// Latency from the input publish to the last view of the event.
    public var lastView: LatencySummary?
    /// The raw relay's publish-to-delivery latency at the same message rate.
    public var rawLatency: LatencySummary?
    /// The same scenario through the null bridge (two broker hops, no logic), same rounds.
    public var nullBridge: NullBridgeFigures?
    /// The scenario's time figure in seconds (e.g. until every view is final).
    public var seconds: Double?
    /// The time the raw relay needs to deliver as many messages (views / raw deliveries per second).
    public var rawSeconds: Double?
    /// Retained messages the broker replays to the bridge at its start (restart scenarios).
    public var retainedMessages: Int?
    /// The bridge's peak RSS (VmHWM) in KiB (restart scenarios).
    public var peakRSSKiB: Int?
    /// The goal, in words.
    public var goal: String
    /// Whether the goal was met; nil when there is no pass/fail goal.
    public var met: Bool?
    /// Further figures and caveats.
    public var notes: [String]

    init(name: String, goal: String) {
        self.name = name
        self.goal = goal
        notes = []
    }

    /// Bridge views/s over raw deliveries/s.
    public var rateRatio: Double? {
        guard let views = viewsPerSecond, let raw = rawPerSecond, raw > 0 else { return nil }
        return views / raw
    }

    /// Bridge views/s over the null bridge's views/s.
    public var nullRateRatio: Double? {
        guard let views = viewsPerSecond, let null = nullBridge?.viewsPerSecond, null > 0 else { return nil }
        return views / null
    }

    /// Bridge time over the raw relay's time for as many messages.
    public var timeRatio: Double? {
        guard let seconds, let raw = rawSeconds, raw > 0 else { return nil }
        return seconds / raw
    }
}

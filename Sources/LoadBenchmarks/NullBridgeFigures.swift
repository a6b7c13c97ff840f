/// A scenario's figures through the null bridge (`NullBridge`: two broker hops, no logic),
/// measured in the same rounds as the bridge's, and the bridge's goal against them.
public struct NullBridgeFigures: Codable, Sendable {
    /// Inputs per second, to the last view of the last event.
    public var eventsPerSecond: Double?
    /// Views received.
    public var viewsOut: Int?
    /// Views per second received.
    public var viewsPerSecond: Double?
    /// Latency from the input publish to the first view of the event.
    public var firstView: LatencySummary?
    /// Latency from the input publish to the last view of the event.
    public var lastView: LatencySummary?
    /// The bridge's goal against the null bridge, in words.
    public var goal: String
    /// Whether the bridge met it; nil when there is no pass/fail goal.
    public var met: Bool?
    /// Further figures.
    public var notes: [String] = []

    init(goal: String) {
        self.goal = goal
    }
}

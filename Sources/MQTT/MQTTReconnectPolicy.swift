/// How the client reconnects after losing an established connection.
///
/// The n-th retry waits `min(maximumDelay, initialDelay * 2^(n-1))`, spread by ± `jitter`
/// (a fraction, 0.25 = ±25%) so that many clients dropped together do not return together.
/// The first connection is retried only with `retriesFirstConnection`: otherwise `connect()`
/// reports its failure at once.
public struct MQTTReconnectPolicy: Sendable, Hashable {
    /// Delay before the first retry.
    public var initialDelay: Duration
    /// Upper bound of the delay between two attempts.
    public var maximumDelay: Duration
    /// Random spread of each delay, as a fraction of it (0 ... 1).
    public var jitter: Double
    /// false = a lost connection ends the client (its streams finish).
    public var enabled: Bool
    /// true = `connect()` also retries with this back-off until the broker answers, and fails
    /// only for an error a retry cannot fix (`MQTTError.isPermanent`) or when its task is
    /// cancelled: for a service that may start before its broker.
    public var retriesFirstConnection: Bool

    /// The defaults: 100 ms doubling up to 30 s, ±25%, enabled.
    public init(
        initialDelay: Duration = .milliseconds(100),
        maximumDelay: Duration = .seconds(30),
        jitter: Double = 0.25,
        enabled: Bool = true,
        retriesFirstConnection: Bool = false
    ) {
        self.retriesFirstConnection = retriesFirstConnection
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitter = jitter
        self.enabled = enabled
    }

    /// The delay before retry number `attempt` (1 = first retry), jitter applied.
    public func delay(forAttempt attempt: Int) -> Duration {
        let initial = max(Self.seconds(initialDelay), 0.001)
        let maximum = max(Self.seconds(maximumDelay), initial)
        let exponent = Double(min(max(attempt - 1, 0), 40))
        let base = min(maximum, initial * pow2(exponent))
        let spread = min(max(jitter, 0), 1)
        let factor = spread == 0 ? 1 : Double.random(in: (1 - spread)...(1 + spread))
        return .nanoseconds(Int64(base * factor * 1e9))
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    private func pow2(_ exponent: Double) -> Double {
        var result = 1.0
        var remaining = Int(exponent)
        while remaining > 0 { result *= 2; remaining -= 1 }
        return result
    }
}

import PresenceCore

/// A token bucket per user: `rate` inputs a second on average, bursts of twice that, on the
/// monotonic clock.
///
/// Excess inputs are dropped; `admit` also says whether this is the moment to tell the user,
/// at most once a second, so a flood cannot turn into a flood of errors.
struct RateLimiter {
    private struct Bucket {
        var tokens: Double
        var refilledAt: Int64
        var warnedAt: Int64?
    }

    enum Decision: Equatable {
        case admit
        case drop(notify: Bool)
    }

    /// Inputs per second; zero or less turns limiting off.
    let rate: Double
    private var buckets: [UserID: Bucket] = [:]

    init(rate: Double) { self.rate = rate }

    var burst: Double { rate * 2 }

    mutating func admit(_ user: UserID, at now: MonotonicInstant) -> Decision {
        guard rate > 0 else { return .admit }
        let nowMS = now.milliseconds
        var bucket = buckets[user] ?? Bucket(tokens: burst, refilledAt: nowMS)
        let elapsed = Double(max(0, nowMS - bucket.refilledAt)) / 1000
        bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
        bucket.refilledAt = nowMS
        defer { buckets[user] = bucket }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return .admit
        }
        let notify = bucket.warnedAt.map { nowMS - $0 >= 1000 } ?? true
        if notify { bucket.warnedAt = nowMS }
        return .drop(notify: notify)
    }

    /// Forgets buckets that have been full for a while, so idle users cost no memory.
    mutating func forgetIdle(at now: MonotonicInstant) {
        let nowMS = now.milliseconds
        let refill = rate > 0 ? burst / rate * 1000 : 0
        buckets = buckets.filter { Double(nowMS - $0.value.refilledAt) < refill + 1000 }
    }
}

/// The two times one input is applied at, in the engine's own units: deadlines count from
/// `monotonic`, and `wall` is the stamp a live message leaves (already floored by `stamp`).
struct EngineTime {
    /// Milliseconds on the caller's monotonic clock.
    var monotonic: Int64
    /// Milliseconds since the Unix epoch, never below a stamp the engine gave or knew before.
    var wall: Int64
}

extension PresenceEngine {
    /// The wall-clock stamp for a message received at `wall`: `wall`, but never below the latest
    /// stamp this engine gave or knows (a restored or read-back last seen, a carried latest live
    /// message). The one rule that keeps a published `lastSeen` from moving backwards when the
    /// wall clock is stepped back: until the clock passes that stamp again, stamps stay on it.
    /// A step forwards is taken as it comes (last-seen times may move forwards).
    mutating func stamp(_ wall: Timestamp) -> Int64 {
        let stamp = max(wall.millisecondsSinceEpoch, stampFloor)
        stampFloor = stamp
        return stamp
    }

    /// Notes a stamp the engine learnt (from the store, a retained view, a carried snapshot):
    /// later stamps never go below it.
    mutating func noteKnownStamp(_ milliseconds: Int64) {
        if milliseconds > stampFloor { stampFloor = milliseconds }
    }
}

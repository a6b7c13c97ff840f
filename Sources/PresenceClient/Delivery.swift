/// What became of a change asked of a `PresenceDevice`.
public enum Delivery: Sendable, Hashable {
    /// Handed to the current connection (queued in libmosquitto; QoS 1 ones are retried by it).
    case sent
    /// Not connected right now: kept, and sent as soon as the next connection is up.
    case deferred
}

/// What became of a change asked of a `PresenceDevice`.
public enum Delivery: Sendable, Hashable {
    /// Handed to the current connection. Settings and lists are sent again on each new connection
    /// until the broker's copy (read back) confirms them; an activity is not (QoS 0).
    case sent
    /// Not connected right now: kept, and sent as soon as the next connection is up.
    case deferred
}

/// A change of the client's connection, for a service that must resynchronise after a gap.
public enum MQTTConnectionEvent: Sendable, Equatable {
    /// A connection is up (after the first `connect()` or a reconnect). On a reconnect without a
    /// session on the broker, this comes once the subscriptions have been restored.
    case connected(sessionPresent: Bool)
    /// An established connection went away; messages may have been missed until the next `.connected`.
    /// `disconnect()` / `abortConnection()` end the sequence with one of these too.
    case disconnected(reason: String)
    /// An attempt to connect again (or, with `retriesFirstConnection`, for the first time)
    /// failed; the next one follows after the policy's delay.
    case attemptFailed(reason: String)
}

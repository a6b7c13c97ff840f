/// The bridge stood down: another bridge connected with the same client id and the broker
/// handed it this bridge's session. The sign is the broker's MQTT 5 DISCONNECT with reason 0x8E
/// "session taken over" where the broker sends one, else another process's `BridgeClaim` in the
/// replay after the lost connection.
///
/// One bridge serves a prefix at a time. The one taken over does not reconnect (that would take
/// the newcomer over in turn, for ever): it stops without writing to its store or the broker
/// again, and `run()` throws this, so the process exits non-zero saying why. The newcomer serves.
public struct BridgeTakenOver: Error, Sendable, CustomStringConvertible {
    /// The client id both bridges use.
    public var clientID: String
    /// How the bridge knew: the broker's reason, or the other bridge's claim.
    public var sign: String

    public var description: String {
        "another bridge connected with client id '\(clientID)' and took this bridge's broker session over (\(sign)): "
            + "standing down, the other bridge serves the prefix now. "
            + "Run one bridge per prefix (or give each its own --prefix and --client-id)."
    }
}

/// Where a `PresenceDevice` or `PresenceViewer` stands with the broker.
///
/// `connected` carries the session token of that connection (nil for a viewer): a new one
/// for every connection, so a change of session means presence was re-established.
public enum ConnectionStatus: Sendable, Hashable, CustomStringConvertible {
    /// Not started yet, or the first connection failed (`start()` may be called again).
    case idle
    /// The first connection is being opened.
    case connecting
    /// Connected; presence (for a device) and the subscriptions are in place.
    case connected(session: String?)
    /// The connection was lost; `attempt` retries have failed so far, `reason` is the last error.
    case reconnecting(attempt: Int, reason: String)
    /// Stopped for good (`stop()`), or lost with reconnection disabled.
    case stopped

    /// true only for `.connected`.
    public var isConnected: Bool {
        if case .connected = self { return true }
        return false
    }

    /// `connected session=…`, `reconnecting attempt=2 reason=…`, `idle`, `connecting`, `stopped`.
    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .connected(let session): session.map { "connected session=\($0)" } ?? "connected"
        case .reconnecting(let attempt, let reason): "reconnecting attempt=\(attempt) reason=\(reason)"
        case .stopped: "stopped"
        }
    }
}

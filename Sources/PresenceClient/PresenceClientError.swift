import MQTT

/// Why a `PresenceDevice` or `PresenceViewer` call failed.
public enum PresenceClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first connection failed (bad URL, refused, not authorized); nothing is retried.
    case connectionFailed(MQTTError)
    /// `start()` was called while already started.
    case alreadyStarted
    /// The client was stopped: nothing more is sent.
    case stopped
    /// An argument breaks a rule of docs/PROTOCOL.md (too long, a list over its limit, …).
    case invalidArgument(String)

    /// Human text.
    public var description: String {
        switch self {
        case .connectionFailed(let error): "connection failed: \(error.message)"
        case .alreadyStarted: "already started"
        case .stopped: "stopped"
        case .invalidArgument(let text): "invalid argument: \(text)"
        }
    }
}

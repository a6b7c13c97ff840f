import MQTT
import PresenceCore
import PresenceWire

/// A device's part of a connection: what makes it a device rather than a viewer.
struct DeviceRole: Sendable {
    var device: DeviceID
    var platform: String?
    var heartbeatInterval: Duration
}

/// The user's retained lists (`in/{user}/contacts|blocked|watch`).
enum ListKind: String, Sendable, CaseIterable {
    case contacts, blocked, watch

    /// The input that carries the list.
    var input: UserInputKind {
        switch self {
        case .contacts: .contacts
        case .blocked: .blocked
        case .watch: .watch
        }
    }
}

/// A change asked of the connection by the app.
enum Command: Sendable {
    case status(DeviceStatus)
    case activity(Activity?)
    case settings(PrivacySettingsUpdate)
    case list(ListKind, [UserID])
}

/// How the connection ends.
enum StopMode: Sendable {
    /// Publish `offline` (with the session), wait for it to be acknowledged, DISCONNECT.
    case graceful
    /// Close the socket without DISCONNECT: the broker publishes the will.
    case abort
}

/// Everything the connection loop reacts to, one at a time, in order.
enum LoopEvent: Sendable {
    case start(CheckedContinuation<Result<Void, PresenceClientError>, Never>)
    case command(Command, CheckedContinuation<Result<Delivery, PresenceClientError>, Never>)
    /// The first `connect()` ended.
    case firstConnection(Result<Void, MQTTError>)
    /// A connection is up; `session` is the one its will names.
    case connected(session: String?)
    case connectionLost(reason: String)
    /// A reconnection attempt failed; the MQTT client tries again after its policy's delay.
    case attemptFailed(reason: String)
    case heartbeatDue
    /// The broker's copy of one of the user's own retained inputs (settings or a list).
    case echo(topic: String, payload: [UInt8])
    case drop(CheckedContinuation<Void, Never>)
    case stop(StopMode, CheckedContinuation<Void, Never>?)

    /// Answers the event's waiter (and closes a connection it carries) when the loop is gone.
    func reject() {
        switch self {
        case .start(let waiter): waiter.resume(returning: .failure(.stopped))
        case .command(_, let waiter): waiter.resume(returning: .failure(.stopped))
        case .drop(let waiter): waiter.resume()
        case .stop(_, let waiter): waiter?.resume()
        case .firstConnection, .connected, .connectionLost, .attemptFailed, .heartbeatDue, .echo: break
        }
    }
}

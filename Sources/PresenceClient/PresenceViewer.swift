import Logging
import MQTT
import PresenceCore

/// A user's view of others without being present: one subscription to `out/{user}/+`
/// (and `err/{user}`), no will, no state, no heartbeat. For dashboards and `presence-bridge watch`.
///
/// Reconnects like `PresenceDevice`, restoring the subscription; the directory survives the gap.
/// Its client id is `{user}-viewer-{random}` unless configured, so it never takes a device's
/// connection over.
public final class PresenceViewer: Sendable {
    /// The viewing user.
    public let user: UserID
    let loop: ConnectionLoop

    /// A viewer, not connected yet.
    public init(configuration: PresenceConfiguration, logger: Logger = Logger(label: "presence-viewer")) {
        user = configuration.user
        loop = ConnectionLoop(configuration: configuration, role: nil, initialStatus: .offline, logger: logger)
    }

    deinit {
        loop.abandon()
    }

    /// Opens the first connection and subscribes; throws `.connectionFailed` if it fails (not retried).
    public func start() async throws(PresenceClientError) {
        try await loop.ask { LoopEvent.start($0) }.get()
    }

    /// Disconnects and ends every sequence.
    public func stop() async {
        await loop.ask { LoopEvent.stop(.graceful, $0) }
    }

    /// Drops the current connection and lets the viewer reconnect by itself. For tests.
    public func dropConnection() async {
        await loop.ask { LoopEvent.drop($0) }
    }

    /// Publishes privacy settings (retained, QoS 1); keys left nil keep their value.
    @discardableResult
    public func updateSettings(_ update: PrivacySettingsUpdate) async throws(PresenceClientError) -> Delivery {
        try await loop.ask { LoopEvent.command(.settings(update), $0) }.get()
    }

    /// Replaces the user's contacts (retained, QoS 1).
    @discardableResult
    public func setContacts(_ users: [UserID]) async throws(PresenceClientError) -> Delivery {
        try await loop.ask { LoopEvent.command(.list(.contacts, users), $0) }.get()
    }

    /// Replaces the user's watch list (retained, QoS 1).
    @discardableResult
    public func setWatchList(_ users: [UserID]) async throws(PresenceClientError) -> Delivery {
        try await loop.ask { LoopEvent.command(.list(.watch, users), $0) }.get()
    }

    /// Where the connection stands now.
    public var connectionStatus: ConnectionStatus { loop.status.value }

    /// A new subscription to the status: the current one first, then every change.
    public var connectionStatusUpdates: ConnectionStatusUpdates {
        ConnectionStatusUpdates(stream: loop.status.subscribe { [$0] })
    }

    /// A new subscription to the view updates: the directory first, then every change.
    public var viewUpdates: ViewUpdates { loop.viewer.subscribeViews() }

    /// The latest view per target, now.
    public var directory: PresenceDirectory { loop.viewer.views.value }

    /// A new subscription to the reports of the user's inputs the bridge rejected.
    public var errorReports: PresenceErrorReports { loop.viewer.subscribeErrors() }
}

import Logging
import MQTT
import PresenceCore
import PresenceWire

/// One device of a user, present over MQTT as docs/PROTOCOL.md says, and that user's view of others.
///
/// Every connection has a fresh random session: the device connects with its will set to
/// `{"status":"offline","session":S,"reason":"lost"}` (retained, QoS 1, on its own state topic),
/// then publishes its state (retained, QoS 1, with the session and platform), subscribes to
/// `out/{user}/+` and `err/{user}`, and heartbeats `{"session":S}` every `heartbeatInterval`.
/// A lost connection is replaced by a new one (new client, new session, new will) after the
/// configuration's back-off, forever, restoring the state and the subscriptions by itself;
/// `connectionStatus` shows where it stands. Changes asked while disconnected are kept and sent
/// on the next connection (`Delivery.deferred`). `stop()` goes offline gracefully; a device
/// released without `stop()` does so in the background.
///
/// ```swift
/// let device = PresenceDevice(configuration: config, device: phone, platform: "mobile")
/// try await device.start()
/// try await device.typing(in: "c1", to: [bob])
/// for await update in device.viewUpdates { … }
/// await device.stop()
/// ```
public final class PresenceDevice: Sendable {
    /// The user this device belongs to.
    public let user: UserID
    /// The device's id (its state topic is `in/{user}/{device}/state`).
    public let device: DeviceID
    let loop: ConnectionLoop

    /// A device, not connected yet; `platform` at most 32 characters (`web`, `mobile`, …; cut there);
    /// `heartbeatInterval` should match the bridge's (default 30 s) or be shorter.
    public init(
        configuration: PresenceConfiguration, device: DeviceID, platform: String? = nil,
        heartbeatInterval: Duration = .seconds(30), initialStatus: DeviceStatus = .online,
        logger: Logger = Logger(label: "presence-device")
    ) {
        user = configuration.user
        self.device = device
        let role = DeviceRole(device: device, platform: platform.map { String($0.prefix(WireLimits.platformLength)) },
                              heartbeatInterval: max(heartbeatInterval, .milliseconds(100)))
        loop = ConnectionLoop(configuration: configuration, role: role, initialStatus: initialStatus, logger: logger)
    }

    deinit {
        loop.abandon()
    }

    // MARK: - Lifecycle

    /// Opens the first connection and publishes the state; returns once presence is in place.
    ///
    /// Throws `.connectionFailed` when the first connection fails (nothing is retried, `start()`
    /// may be called again); after it succeeded, every loss is repaired by itself.
    public func start() async throws(PresenceClientError) {
        try await loop.ask { LoopEvent.start($0) }.get()
    }

    /// Goes offline gracefully: publishes `{"status":"offline","session":S}`, waits for the
    /// broker's acknowledgement, then DISCONNECTs (so the will is discarded). Ends every sequence.
    public func stop() async {
        await loop.ask { LoopEvent.stop(.graceful, $0) }
    }

    /// Closes the socket without DISCONNECT and stops: the broker publishes the will, as for
    /// a device that vanished. For tests and demos.
    public func abortConnection() async {
        await loop.ask { LoopEvent.stop(.abort, $0) }
    }

    /// Drops the current connection without DISCONNECT (the will speaks) and lets the device
    /// reconnect by itself, with a new session. For tests and demos of a network loss.
    public func dropConnection() async {
        await loop.ask { LoopEvent.drop($0) }
    }

    // MARK: - Presence

    /// Publishes the device's status (retained, QoS 1, with the session); kept for reconnects.
    ///
    /// `.offline` announces the device offline while staying connected (views keep coming);
    /// `stop()` is the usual way to go offline.
    @discardableResult
    public func setStatus(_ status: DeviceStatus) async throws(PresenceClientError) -> Delivery {
        try await loop.ask { LoopEvent.command(.status(status), $0) }.get()
    }

    /// Publishes an activity (QoS 0); nil = idle. It holds for its lease: `ttlMilliseconds`
    /// nil = the bridge's default (3 s: renew it while it lasts), 0 = until replaced, at most
    /// 86 400 s. `detail` at most 256 characters, `audience` (`to`) at most 100 users; an empty
    /// `audience` shows it to no one but the user. The wire's limits (`WireLimits.check`), checked
    /// before anything is sent: a breach throws `.invalidArgument` with the bridge's own words.
    @discardableResult
    public func setActivity(_ activity: Activity?) async throws(PresenceClientError) -> Delivery {
        if let activity {
            do { try WireLimits.check(activity, user: user) } catch { throw .invalidArgument(error.message) }
        }
        return try await loop.ask { LoopEvent.command(.activity(activity), $0) }.get()
    }

    /// Typing in `conversation`, seen only by `audience` (and the user) when given.
    @discardableResult
    public func typing(in conversation: String?, to audience: [UserID]? = nil, ttl: Duration? = nil)
        async throws(PresenceClientError) -> Delivery {
        try await setActivity(Activity(kind: .typing, detail: conversation, audience: audience,
                                       ttlMilliseconds: ttl.map(Self.milliseconds)))
    }

    /// Viewing `page`.
    @discardableResult
    public func viewing(_ page: String?, ttl: Duration? = nil) async throws(PresenceClientError) -> Delivery {
        try await setActivity(Activity(kind: .viewing, detail: page, ttlMilliseconds: ttl.map(Self.milliseconds)))
    }

    /// Busy, with an optional reason ("In a meeting").
    @discardableResult
    public func busy(_ reason: String?, ttl: Duration? = nil) async throws(PresenceClientError) -> Delivery {
        try await setActivity(Activity(kind: .busy, detail: reason, ttlMilliseconds: ttl.map(Self.milliseconds)))
    }

    /// Clears the device's activity at once (`{"type":"idle"}`).
    @discardableResult
    public func idle() async throws(PresenceClientError) -> Delivery {
        try await setActivity(nil)
    }

    // MARK: - Settings and lists (the user's, shared by all of its devices)

    /// Publishes privacy settings (retained, QoS 1); keys left nil keep their value on the bridge.
    @discardableResult
    public func updateSettings(_ update: PrivacySettingsUpdate) async throws(PresenceClientError) -> Delivery {
        try await loop.ask { LoopEvent.command(.settings(update), $0) }.get()
    }

    /// Replaces the user's contacts (retained, QoS 1): they see the `contacts` level, and are watched.
    @discardableResult
    public func setContacts(_ users: [UserID]) async throws(PresenceClientError) -> Delivery {
        try await loop.ask { LoopEvent.command(.list(.contacts, users), $0) }.get()
    }

    /// Replaces the user's blocked list (retained, QoS 1): they see nothing of the user.
    @discardableResult
    public func setBlocked(_ users: [UserID]) async throws(PresenceClientError) -> Delivery {
        try await loop.ask { LoopEvent.command(.list(.blocked, users), $0) }.get()
    }

    /// Replaces the user's watch list (retained, QoS 1): more users to see beyond the contacts.
    @discardableResult
    public func setWatchList(_ users: [UserID]) async throws(PresenceClientError) -> Delivery {
        try await loop.ask { LoopEvent.command(.list(.watch, users), $0) }.get()
    }

    // MARK: - Observing

    /// Where the connection stands now.
    public var connectionStatus: ConnectionStatus { loop.status.value }

    /// The session of the current connection, nil while not connected.
    public var session: String? {
        if case .connected(let session) = loop.status.value { return session }
        return nil
    }

    /// A new subscription to the status: the current one first, then every change.
    public var connectionStatusUpdates: ConnectionStatusUpdates {
        ConnectionStatusUpdates(stream: loop.status.subscribe { [$0] })
    }

    /// A new subscription to the user's view updates: the directory first, then every change.
    public var viewUpdates: ViewUpdates { loop.viewer.subscribeViews() }

    /// The latest view per target, now (kept across reconnects).
    public var directory: PresenceDirectory { loop.viewer.views.value }

    /// A new subscription to the reports of the user's inputs the bridge rejected.
    public var errorReports: PresenceErrorReports { loop.viewer.subscribeErrors() }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}

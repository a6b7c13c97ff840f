/// A device's status as it publishes it in its `state`.
public enum DeviceStatus: String, Sendable, Hashable, CaseIterable {
    /// Present and reachable.
    case online
    /// Present but idle.
    case away
    /// Connected, but shown to everyone else as offline (the user's own view shows it).
    case invisible
    /// Gone; the device is left out of views.
    case offline
}

/// One decoded `in/{user}/{device}/state` message.
///
/// An empty retained payload (the retained state deleted) arrives as `.offline`, no session, not lost.
public struct DeviceState: Sendable, Equatable {
    /// The status the device claims.
    public var status: DeviceStatus
    /// The id of the device's MQTT connection; makes a late will of an older connection harmless.
    public var session: String?
    /// Free text such as `web`, `mobile`, `desktop`, `iot`; shown in views when given.
    public var platform: String?
    /// `reason: "lost"`: a will or an unplanned drop, which starts the offline grace.
    public var isLost: Bool

    /// A state; defaults describe the simplest client (no session, no platform, not lost).
    public init(status: DeviceStatus, session: String? = nil, platform: String? = nil, isLost: Bool = false) {
        self.status = status
        self.session = session
        self.platform = platform
        self.isLost = isLost
    }
}

/// One device as a view lists it.
public struct DeviceView: Sendable, Hashable {
    /// The device's id.
    public var id: DeviceID
    /// The platform the device gave, if any.
    public var platform: String?
    /// The device's status (never `.offline`: offline devices are left out).
    public var status: DeviceStatus

    /// A device entry.
    public init(id: DeviceID, platform: String? = nil, status: DeviceStatus) {
        self.id = id
        self.platform = platform
        self.status = status
    }
}

/// The activity as a view shows it: the kind and its one field, never `to` or `ttl`.
public struct ActivityView: Sendable, Hashable {
    /// The kind of activity.
    public var kind: ActivityKind
    /// conversationId, page or reason, as sent.
    public var detail: String?

    /// An activity entry.
    public init(kind: ActivityKind, detail: String? = nil) {
        self.kind = kind
        self.detail = detail
    }
}

/// What one viewer may see of one target (`out/{viewer}/{target}`).
///
/// A field the viewer may not see is nil (absent on the wire), never faked.
public struct View: Sendable, Hashable {
    /// The target; always present.
    public var user: UserID
    /// The aggregated status; nil = hidden. `.invisible` only in the user's own view.
    public var status: DeviceStatus?
    /// When the target was last seen, where allowed and known.
    public var lastSeen: Timestamp?
    /// The activity in force, where allowed and addressed to the viewer.
    public var activity: ActivityView?
    /// The devices that are not offline, sorted by id; present exactly when `status` is.
    public var devices: [DeviceView]?

    /// A view; with only `user` it is the bare view a blocked viewer gets.
    public init(
        user: UserID,
        status: DeviceStatus? = nil,
        lastSeen: Timestamp? = nil,
        activity: ActivityView? = nil,
        devices: [DeviceView]? = nil
    ) {
        self.user = user
        self.status = status
        self.lastSeen = lastSeen
        self.activity = activity
        self.devices = devices
    }
}

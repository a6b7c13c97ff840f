import PresenceCore
import PresenceWire

/// What the viewer may see of one target, as the bridge published it on `out/{viewer}/{target}`.
///
/// A field the viewer may not see is nil (absent on the wire), never faked: a nil `status`
/// means hidden, not offline. `devices` is present exactly when `status` is. `invisible`
/// appears only in the viewer's own view of itself.
public struct PresenceView: Sendable, Hashable {
    /// The target; always present.
    public var user: UserID
    /// online / away / offline (invisible only in the self view); nil = hidden.
    public var status: DeviceStatus?
    /// When the target was last seen, by the bridge's clock; nil = hidden or never offline yet.
    public var lastSeen: Timestamp?
    /// The activity in force, if the viewer may see it.
    public var activity: ActivityView?
    /// The devices that are not offline, sorted by id; nil when `status` is hidden.
    public var devices: [DeviceView]?

    /// A view; with only `user` it is the bare view of a blocked (or fully denied) viewer.
    public init(user: UserID, status: DeviceStatus? = nil, lastSeen: Timestamp? = nil,
                activity: ActivityView? = nil, devices: [DeviceView]? = nil) {
        self.user = user
        self.status = status
        self.lastSeen = lastSeen
        self.activity = activity
        self.devices = devices
    }

    /// The view as the wire decoder read it.
    public init(_ view: View) {
        self.init(user: view.user, status: view.status, lastSeen: view.lastSeen, activity: view.activity, devices: view.devices)
    }

    /// Parses a view payload: `{"user","status"?,"lastSeen"?,"activity"?,"devices"?}`, with the
    /// wire's `ViewDecoder`.
    ///
    /// Unknown keys are ignored, and so is an activity of a kind this version does not know
    /// (newer bridges may add kinds). Invalid JSON, a missing or invalid `user`, an unknown
    /// `status`, a malformed `lastSeen` or an invalid device throw `ViewDecodingError`.
    public init(json payload: [UInt8]) throws(ViewDecodingError) {
        self.init(try ViewDecoder.decode(payload))
    }
}

/// A view payload that could not be parsed (the wire's error, named here so that SDK users
/// need not import PresenceWire).
public typealias ViewDecodingError = PresenceWire.ViewDecodingError

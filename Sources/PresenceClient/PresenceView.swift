import Foundation
import PresenceCore

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

    /// Parses a view payload: `{"user","status"?,"lastSeen"?,"activity"?,"devices"?}`.
    ///
    /// Unknown keys are ignored, and so is an activity of a kind this version does not know
    /// (newer bridges may add kinds). Invalid JSON, a missing or invalid `user`, an unknown
    /// `status`, a malformed `lastSeen` or an invalid device throw `ViewDecodingError`.
    public init(json payload: [UInt8]) throws(ViewDecodingError) {
        let wire: WireView
        do {
            wire = try JSONDecoder().decode(WireView.self, from: Data(payload))
        } catch {
            throw ViewDecodingError("not a view: \(error)")
        }
        guard let user = UserID(wire.user) else { throw ViewDecodingError("invalid user '\(wire.user)'") }
        self.user = user
        if let text = wire.status {
            guard let status = DeviceStatus(rawValue: text) else { throw ViewDecodingError("unknown status '\(text)'") }
            self.status = status
        }
        if let text = wire.lastSeen {
            guard let time = Timestamp(iso8601: text) else { throw ViewDecodingError("invalid lastSeen '\(text)'") }
            lastSeen = time
        }
        if let activity = wire.activity, let kind = ActivityKind(rawValue: activity.type) {
            let detail: String? = switch kind {
            case .typing: activity.conversationId
            case .viewing: activity.page
            case .busy: activity.reason
            }
            self.activity = ActivityView(kind: kind, detail: detail)
        }
        if let devices = wire.devices {
            var parsed: [DeviceView] = []
            for device in devices {
                guard let id = DeviceID(device.id) else { throw ViewDecodingError("invalid device id '\(device.id)'") }
                guard let status = DeviceStatus(rawValue: device.status) else {
                    throw ViewDecodingError("unknown device status '\(device.status)'")
                }
                parsed.append(DeviceView(id: id, platform: device.platform, status: status))
            }
            self.devices = parsed
        }
    }
}

/// A view payload that could not be parsed; `message` says why.
public struct ViewDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the payload.
    public var message: String
    /// A decoding error with a message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// The view's JSON as sent; types only, the rules are applied by `PresenceView.init(json:)`.
private struct WireView: Decodable {
    struct Activity: Decodable {
        var type: String
        var conversationId: String?
        var page: String?
        var reason: String?
    }

    struct Device: Decodable {
        var id: String
        var platform: String?
        var status: String
    }

    var user: String
    var status: String?
    var lastSeen: String?
    var activity: Activity?
    var devices: [Device]?
}

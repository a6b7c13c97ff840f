import PresenceCore

/// The wire form of a view: `{"user":…,"status":…,"lastSeen":…,"activity":{…},"devices":[…]}`.
///
/// Keys come in that fixed order and absent fields are left out (never null), so equal views
/// always encode to equal bytes: the bridge compares their digests to decide what a restart
/// must republish. `ViewDecoder` reads the payload back to the same view.
public enum ViewEncoder {
    /// The payload of `view`.
    public static func encode(_ view: View) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.member("user", view.user.rawValue)
        if let status = view.status {
            json.member("status", status.rawValue)
        }
        if let lastSeen = view.lastSeen {
            json.member("lastSeen", lastSeen.iso8601)
        }
        if let activity = view.activity {
            json.key("activity")
            json.beginObject()
            json.member("type", activity.kind.rawValue)
            if let detail = activity.detail {
                json.member(activity.kind.detailKey, detail)
            }
            json.endObject()
        }
        if let devices = view.devices {
            json.key("devices")
            json.beginArray()
            for device in devices {
                json.beginObject()
                json.member("id", device.id.rawValue)
                if let platform = device.platform {
                    json.member("platform", platform)
                }
                json.member("status", device.status.rawValue)
                json.endObject()
            }
            json.endArray()
        }
        json.endObject()
        return json.bytes
    }
}

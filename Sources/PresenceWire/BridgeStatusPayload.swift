import PresenceCore

/// `bridge/status` (retained, QoS 1):
/// `{"status":"online","version":"…","startedAt":"…","heartbeatInterval":30,"offlineGrace":5}`.
/// The bridge's will is the same with `offline` and no `startedAt`; durations are seconds.
public enum BridgeStatusPayload {
    /// The status of a bridge: online (with the time it started) or offline.
    public static func encode(online: Bool, version: String, startedAt: Timestamp?,
                              heartbeatInterval: Double, offlineGrace: Double) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.member("status", online ? "online" : "offline")
        json.member("version", version)
        if let startedAt { json.member("startedAt", startedAt.iso8601) }
        json.key("heartbeatInterval"); json.number(heartbeatInterval)
        json.key("offlineGrace"); json.number(offlineGrace)
        json.endObject()
        return json.bytes
    }
}

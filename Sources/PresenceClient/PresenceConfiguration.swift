import MQTT
import PresenceCore

/// Where and as whom a `PresenceDevice` or `PresenceViewer` connects, and how it reconnects.
///
/// The MQTT user name is the user id unless `username` says otherwise (the broker's ACL
/// lets a user write only under `in/{username}/`, so the two must match). The password is
/// never logged.
public struct PresenceConfiguration: Sendable {
    /// Broker URL: `mqtt://host[:1883]` or `mqtts://host[:8883]`.
    public var brokerURL: String
    /// The user this connection acts and views as.
    public var user: UserID
    /// The MQTT user name; nil = the user id.
    public var username: String?
    /// The MQTT password; never logged.
    public var password: String?
    /// CA file for `mqtts://` brokers; nil = the system's trust store.
    public var caFile: String?
    /// The topic prefix, without a trailing slash (default `presence/v1`).
    public var prefix: String
    /// The MQTT client id; nil = `{user}-{device}` for a device (stable, so that a reconnect
    /// takes the old connection over) and `{user}-viewer-{random}` for a viewer.
    public var clientID: String?
    /// MQTT keepalive in seconds: a dead connection is noticed after about 1.5 of them.
    public var keepAlive: Int
    /// Back-off between reconnection attempts; `enabled == false` stops after the first loss.
    public var reconnect: MQTTReconnectPolicy
    /// true = subscribe to `out/{user}/+` and keep the directory; false = errors only.
    public var subscribesToViews: Bool

    /// A configuration with the defaults: prefix `presence/v1`, keepalive 30 s, reconnecting
    /// after 250 ms doubling up to 30 s (±25 %), views subscribed.
    public init(brokerURL: String, user: UserID, password: String? = nil) {
        self.brokerURL = brokerURL
        self.user = user
        self.password = password
        prefix = "presence/v1"
        keepAlive = 30
        reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(250), maximumDelay: .seconds(30))
        subscribesToViews = true
    }

    /// The MQTT configuration of the device's or viewer's one client: it reconnects by the MQTT
    /// module's policy (`reconnect`), and `makeWill` gives every connection a will of its own.
    func mqtt(clientID: String, makeWill: (@Sendable () -> MQTTMessage?)?) throws(MQTTError) -> MQTTConfiguration {
        var mqtt = try MQTTConfiguration(url: brokerURL, clientID: clientID)
        mqtt.username = username ?? user.rawValue
        mqtt.password = password
        if let caFile {
            mqtt.tls = MQTTTLSConfiguration(caFile: caFile, certificateFile: nil, keyFile: nil)
        }
        mqtt.keepAlive = keepAlive
        mqtt.makeWill = makeWill
        mqtt.reconnect = reconnect
        // The runner subscribes itself on every `.connected`, after publishing its state.
        mqtt.restoresSubscriptions = false
        return mqtt
    }
}

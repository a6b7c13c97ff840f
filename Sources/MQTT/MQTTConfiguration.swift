/// Everything a client needs to connect: where, who, and how it behaves.
///
/// Built from a URL (`mqtt://host[:1883]`, `mqtts://host[:8883]`); the password is never logged.
public struct MQTTConfiguration: Sendable {
    /// Host name or IP address of the broker.
    public var host: String
    /// TCP port of the broker.
    public var port: Int
    /// TLS settings; non-nil for `mqtts://` (set to nil to speak plain TCP).
    public var tls: MQTTTLSConfiguration?
    /// The MQTT client id; a reconnect with the same id takes the old connection over.
    public var clientID: String
    /// User name for the broker, if it requires one.
    public var username: String?
    /// Password for the broker; never logged.
    public var password: String?
    /// Keepalive interval in seconds (the broker drops the client after 1.5 of them in silence).
    public var keepAlive: Int = 30
    /// MQTT 5 unless 3.1.1 is asked for.
    public var protocolVersion: MQTTProtocolVersion = .v5
    /// true = every connection starts a new session; false = a persistent session (MQTT 5: kept
    /// `sessionExpiryInterval` seconds after a disconnect).
    public var cleanStart: Bool = true
    /// MQTT 5 session expiry interval in seconds for `cleanStart == false` (0xFFFFFFFF = never expires).
    public var sessionExpiryInterval: UInt32 = 0xFFFF_FFFF
    /// The last will, published by the broker when the connection ends without DISCONNECT.
    public var will: MQTTMessage?
    /// A will made anew before every connection attempt, on the network thread (nil: none):
    /// for a device whose will names the session of each connection. Replaces `will`.
    public var makeWill: (@Sendable () -> MQTTMessage?)?
    /// Disable Nagle's algorithm (measured here: loopback p99 ~27 ms with Nagle, ~1 ms without).
    public var tcpNoDelay: Bool = true
    /// publish() waits while this many publishes are unacknowledged (QoS 0 counts until written).
    public var maxInflightPublishes: Int = 1000
    /// The most messages (and connection events) waiting in the inbox; nil = unbounded. When it
    /// is full the network thread waits for the consumer (see `MQTTInbox`): back-pressure to the
    /// broker instead of memory without end, for a consumer that keeps taking.
    public var receiveBufferLimit: Int?
    /// The most bytes of messages (topic and payload) waiting in the inbox; nil = unbounded.
    /// With payloads of up to the broker's limit, a bound in messages alone is not one in
    /// memory: full, the network thread waits as for `receiveBufferLimit`.
    public var receiveBufferByteLimit: Int?
    /// Automatic reconnection after a lost connection.
    public var reconnect: MQTTReconnectPolicy = .init()
    /// Resubscribe by itself after a reconnect without a session. A service that resynchronises
    /// on `.connected` and subscribes again itself turns this off, so that the broker replays
    /// the retained messages once, not twice.
    public var restoresSubscriptions: Bool = true
    /// Reconnect after the broker said another connection with the same client id took the
    /// session over (MQTT 5 only: DISCONNECT with reason 0x8E). Off, the client ends for good
    /// instead (`MQTTClient.endError` is `.sessionTakenOver`): two clients sharing an id would
    /// otherwise take each other over for ever. A 3.1.1 broker just closes the socket, which is
    /// not told apart from a lost connection.
    public var reconnectsWhenTakenOver: Bool = true
    /// Forget the publishes a lost connection left unacknowledged instead of sending them again
    /// on the next connection (libmosquitto's way). A client that decides anew after every
    /// reconnect what the broker lacks (the bridge's resync) turns this on: a publish of the old
    /// connection sent again late could overwrite a newer one that another client made
    /// meanwhile (a second bridge that took the session over, for one). Only with `cleanStart`
    /// (a kept session's QoS 2 exchanges and packet ids would be forgotten too).
    public var discardsUnacknowledgedOnReconnect: Bool = false

    /// Parses `mqtt://host[:port]` (default 1883) or `mqtts://host[:port]` (default 8883, TLS).
    ///
    /// IPv6 literals go in brackets: `mqtt://[::1]:1883`. Credentials in the URL are not accepted:
    /// set `username` / `password`.
    public init(url: String, clientID: String) throws(MQTTError) {
        let invalid = MQTTError(code: .invalidURL, message: "expected mqtt://host[:port] or mqtts://host[:port], got '\(url)'")
        guard let schemeEnd = url.range(of: "://") else { throw invalid }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(url[schemeEnd.upperBound...])
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), !rest.contains("?") else { throw invalid }
        let defaultPort: Int
        switch scheme {
        case "mqtt", "tcp": defaultPort = 1883; tls = nil
        case "mqtts", "ssl", "tls": defaultPort = 8883; tls = MQTTTLSConfiguration()
        default: throw invalid
        }
        var hostPart = rest
        var portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid }
                portPart = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw invalid }
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else { throw invalid }
            port = value
        } else {
            port = defaultPort
        }
        host = String(hostPart)
        self.clientID = clientID
    }
}

import MQTT
import PresenceCore
import PresenceWire

/// Everything `presence-bridge run` can be told, with the defaults of docs/PROTOCOL.md.
///
/// Durations are seconds and may be fractions. The password is never logged or described.
public struct BridgeConfiguration: Sendable {
    public var brokerURL = "mqtt://127.0.0.1:1883"
    public var username: String? = "presence-bridge"
    public var password: String?
    /// CA file for `mqtts://` brokers.
    public var caFile: String?
    public var clientID = "presence-bridge"
    /// Folder of the SQLite store; created if missing.
    public var dataDirectory = "data/bridge"
    public var topics = TopicLayout()
    public var heartbeatInterval = 30.0
    public var offlineGrace = 5.0
    public var activityTTL = 3.0
    /// Most distinct ids in `contacts` and `blocked` (`--max-list`).
    public var maximumList = WireLimits.defaultListSize
    /// Most distinct ids in `watch` (`--max-watch`).
    public var maximumWatch = WireLimits.defaultWatchSize
    /// Inputs per second per user (bursts of twice that); 0 turns limiting off.
    public var rateLimit = 20.0
    /// How often `bridge/stats` is refreshed.
    public var statsInterval = 5.0
    /// Seconds without a retained message after which a replay counts as complete, for brokers
    /// that do not deliver the bridge's sync marker after the replay (mosquitto does).
    public var replayTimeout = 10.0
    /// How often the bridge publishes its checkpoint marker while views change: after a crash
    /// of the bridge, at most about this much of the latest views is republished.
    public var checkpointInterval = 2.0
    /// How long a deleted view's tombstone is kept after a checkpoint that covers it reached the
    /// broker. Must exceed the broker's `autosave_interval` (60 s as shipped) by a margin: a
    /// broker that crashes comes back with its last save, which may still hold that view.
    public var tombstoneRetention = 900.0
    /// About how many views a resync decides at a time before it lets the outbox drain: the
    /// bound on the memory a resync needs for views, whatever the number of users.
    public var resyncSlice = 20_000
    /// Most views a read-back asks the broker for at once: more and it reads them in batches of
    /// viewers. Must stay well under the broker's `max_queued_messages` (1,000,000 as shipped).
    public var readBackBatch = 200_000
    /// Most messages waiting for the writer: when that many are, the MQTT network thread stops
    /// reading until the writer has taken them, and the broker queues for the bridge meanwhile
    /// (up to its `max_queued_messages`, 1,000,000 as shipped). With `receiveBufferBytes`, the
    /// bound on the memory of input that the writer has not handled yet.
    public var receiveBuffer = 100_000
    /// The most bytes of received messages (topics and payloads) waiting for the writer: with
    /// payloads of up to 64 KiB, `receiveBuffer` messages alone could hold gigabytes. 32 MiB is
    /// ~200,000 messages of a typical input, so under normal load the count binds first.
    public var receiveBufferBytes = 32 << 20
    /// MQTT keepalive in seconds: libmosquitto pings a connection silent this long and drops it
    /// when the ping goes unanswered, so a half-open connection (no RST) is noticed within
    /// about twice this, and the broker drops a silent bridge after 1.5 of it (its will).
    public var keepAlive = 30
    /// The release named in `bridge/status` (`BridgeVersion.current`).
    public var version = BridgeVersion.current
    /// This bridge's part of a federation of brokers (`--shard`, `--brokers`); nil, the default,
    /// for one bridge beside one broker.
    public var shard: Shard?

    public init() {}

    /// The engine's share of the configuration.
    public var engine: EngineConfiguration {
        var engine = EngineConfiguration()
        engine.heartbeatIntervalMilliseconds = Int64((heartbeatInterval * 1000).rounded())
        engine.offlineGraceMilliseconds = Int64((offlineGrace * 1000).rounded())
        engine.activityTTLMilliseconds = Int64((activityTTL * 1000).rounded())
        return engine
    }

    /// True when this bridge decides the views of `target`: always, but for a shard of a
    /// federation, which decides those of the targets homed at its broker.
    func owns(_ target: UserID) -> Bool { shard?.owns(target) ?? true }

    /// Where the view of `target` for `viewer` is published (`Shard.viewTopic`).
    func viewTopic(viewer: UserID, target: UserID) -> String {
        shard?.viewTopic(topics, viewer: viewer, target: target) ?? topics.viewTopic(viewer: viewer, target: target)
    }

    /// The MQTT connection of the bridge, with `bridge/status` offline as its will.
    func mqtt() throws(MQTTError) -> MQTTConfiguration {
        var mqtt = try MQTTConfiguration(url: brokerURL, clientID: clientID)
        mqtt.username = username
        mqtt.password = password
        mqtt.keepAlive = keepAlive
        if let caFile {
            mqtt.tls = MQTTTLSConfiguration(caFile: caFile, certificateFile: nil, keyFile: nil)
        }
        mqtt.will = MQTTMessage(topic: topics.statusTopic, payload: statusPayload(online: false, startedAt: nil), qos: .atLeastOnce, retain: true)
        // Every (re)connection starts a resync that subscribes itself: one retained replay, not two.
        mqtt.restoresSubscriptions = false
        // Views are stale while the bridge is away: retry the broker at least once a second (one
        // connection attempt a second costs the broker nothing next to an outage of presence).
        mqtt.reconnect.maximumDelay = .seconds(1)
        // The bridge may start before its broker: wait for it with the same back-off.
        mqtt.reconnect.retriesFirstConnection = true
        mqtt.receiveBufferLimit = receiveBuffer
        mqtt.receiveBufferByteLimit = receiveBufferBytes
        // A second bridge with this client id took the session over: stand down (`BridgeTakenOver`).
        mqtt.reconnectsWhenTakenOver = false
        // The resync after a reconnect decides anew what the broker lacks; a view of the lost
        // connection sent again late could overwrite a newer one of the bridge that took over.
        mqtt.discardsUnacknowledgedOnReconnect = true
        return mqtt
    }

    /// `{"status":"online","version":…,"startedAt":…,"heartbeatInterval":30,"offlineGrace":5}`.
    func statusPayload(online: Bool, startedAt: Timestamp?) -> [UInt8] {
        BridgeStatusPayload.encode(online: online, version: version, startedAt: startedAt,
                                   heartbeatInterval: heartbeatInterval, offlineGrace: offlineGrace)
    }
}

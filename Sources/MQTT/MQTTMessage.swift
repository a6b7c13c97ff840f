/// One application message: what is published, what a will carries and what is received.
///
/// An empty payload published with `retain` clears the retained message of its topic.
public struct MQTTMessage: Sendable, Equatable {
    /// The topic name (no wildcards when publishing).
    public var topic: String
    /// The payload bytes; may be empty.
    public var payload: [UInt8]
    /// On publish: the QoS asked for; on receive: the QoS it was delivered with.
    public var qos: QoS
    /// On publish: keep as the topic's retained message.
    /// On receive: true = delivered as a retained message (a replay on subscribe), not live.
    public var retain: Bool

    /// A message; payload empty, QoS 0 and no retain unless given.
    public init(topic: String, payload: [UInt8] = [], qos: QoS = .atMostOnce, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

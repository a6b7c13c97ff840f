/// The MQTT protocol version spoken on the wire.
///
/// MQTT 5 is the default; 3.1.1 is there for brokers and bridges that lack 5.
public enum MQTTProtocolVersion: Sendable, Hashable {
    /// MQTT 5.0.
    case v5
    /// MQTT 3.1.1.
    case v311
}

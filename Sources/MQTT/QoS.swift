/// MQTT delivery guarantee of a message or a subscription.
///
/// The raw value is the number on the wire (0, 1, 2).
public enum QoS: UInt8, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// At most once: fire and forget.
    case atMostOnce = 0
    /// At least once: acknowledged with PUBACK, may be delivered twice.
    case atLeastOnce = 1
    /// Exactly once: the four-packet PUBREC/PUBREL/PUBCOMP handshake.
    case exactlyOnce = 2

    /// Orders by strength of the guarantee.
    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `qos0`, `qos1` or `qos2`.
    public var description: String { "qos\(rawValue)" }
}

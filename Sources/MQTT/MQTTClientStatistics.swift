/// Counters of one client since it was created.
public struct MQTTClientStatistics: Sendable, Equatable {
    /// Messages received from the broker (handed to the inbox).
    public var received: Int
    /// Messages handed to libmosquitto by `publish`.
    public var published: Int
    /// QoS 1/2 publishes the broker answered with an error reason code (MQTT 5 only, e.g. not authorized).
    public var publishesRejected: Int
    /// Successful reconnections after a lost connection (the first connection not counted).
    public var reconnects: Int
    /// The most messages and events ever waiting in the inbox at once.
    public var bufferHighWater: Int
    /// Messages and events waiting in the inbox now.
    public var buffered: Int
    /// Times the network thread found the inbox full and waited for the consumer
    /// (`MQTTConfiguration.receiveBufferLimit`).
    public var receiveStalls: Int = 0
    /// Messages dropped because the consumer had stopped taking (`MQTTInbox.stopTaking()`) or
    /// the client was closed.
    public var receiveDropped: Int = 0
}

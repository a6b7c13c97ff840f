/// Counters of one client since it was created.
public struct MQTTClientStatistics: Sendable, Equatable {
    /// Messages received from the broker (handed to `messages`).
    public var received: Int
    /// Messages handed to libmosquitto by `publish`.
    public var published: Int
    /// QoS 1/2 publishes the broker answered with an error reason code (MQTT 5 only, e.g. not authorized).
    public var publishesRejected: Int
    /// Successful reconnections after a lost connection (the first connection not counted).
    public var reconnects: Int
    /// The most messages ever waiting in the `messages` buffer at once (the buffer is unbounded).
    public var bufferHighWater: Int
    /// Messages waiting in the `messages` buffer now.
    public var buffered: Int
}

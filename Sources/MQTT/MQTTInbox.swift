/// One thing the client received from its network thread: a message, or a change of the
/// connection, in the order they happened.
public enum MQTTInbound: Sendable {
    case message(MQTTMessage)
    case connection(MQTTConnectionEvent)
}

/// Everything the client receives, messages and connection events in one order, for a
/// single-writer loop that takes whole batches. ONE consumer only; the same buffer is behind
/// `MQTTClient.messages`, so a client is read through one of the two.
///
/// Bounded by `MQTTConfiguration.receiveBufferLimit`: when that many are waiting, the network
/// thread stops reading the socket until the consumer takes the batch (counted as a stall in
/// `MQTTClientStatistics.receiveStalls`), and the broker queues for this client meanwhile.
/// While it stalls the client sends no keepalive either, so a consumer must keep taking; one that
/// is done for good calls `stopTaking()`.
public struct MQTTInbox: Sendable {
    let buffer: HandOffBuffer<MQTTInbound>

    /// Moves everything received so far into `batch` (emptied first), waiting while there is
    /// nothing; returns when the batch's first element arrived from the network thread (nil for
    /// an empty batch), so that a consumer can measure how long input waited for it. Returns
    /// with `batch` empty after `timeout`, after `wake()`, for a cancelled task, and once the
    /// client is closed and everything was taken (then `isFinished` is true).
    @discardableResult
    public func take(into batch: inout [MQTTInbound], timeout: Duration? = nil,
                     isolation: isolated (any Actor)? = #isolation) async -> ContinuousClock.Instant? {
        batch.removeAll(keepingCapacity: true)
        return await buffer.take(into: &batch, timeout: timeout, isolation: isolation)
    }

    /// Ends the consumer's wait now (or its next one) with nothing taken; from any thread or task.
    public func wake() { buffer.wake() }

    /// The consumer will not take again: what is buffered and what comes later is dropped, so
    /// that the network thread never waits for room (say it before a last publish that needs
    /// the broker's acknowledgements).
    public func stopTaking() { buffer.stopTaking() }

    /// True once nothing can come any more: the client is closed and everything was taken.
    public var isFinished: Bool { buffer.isOver }
}

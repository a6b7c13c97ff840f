/// The messages received by one client, as an `AsyncSequence`. ONE consumer only.
///
/// Buffering policy: unbounded, never drops. The network thread appends each message under a
/// lock and wakes the consumer only when the buffer was empty; the consumer takes the whole
/// batch at once. A slow consumer makes the buffer grow (the growth is counted:
/// `MQTTClientStatistics.bufferHighWater`) instead of losing messages silently; bound the
/// work per message instead. The sequence ends after `disconnect()` / `abortConnection()`
/// (or a lost connection with reconnect disabled) once the buffered messages are consumed,
/// and for a cancelled task. A second concurrent consumer gets `nil` at once.
public struct MQTTMessages: AsyncSequence, Sendable {
    /// Each element is one received message.
    public typealias Element = MQTTMessage
    /// Never fails.
    public typealias Failure = Never

    let buffer: HandOffBuffer<MQTTMessage>

    /// The iterator; hands out the local batch, then refills it in one step.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Each element is one received message.
        public typealias Element = MQTTMessage
        /// Never fails.
        public typealias Failure = Never

        var base: HandOffIterator<MQTTMessage>

        /// The next message, waiting for one; nil at the end.
        public mutating func next() async -> MQTTMessage? {
            await base.next(isolation: nil)
        }

        /// The next message, staying on the caller's actor; nil at the end.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> MQTTMessage? {
            await base.next(isolation: actor)
        }
    }

    /// An iterator over the one shared buffer.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: HandOffIterator(buffer: buffer))
    }
}

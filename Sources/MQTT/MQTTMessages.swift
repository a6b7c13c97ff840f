/// The messages received by one client, as an `AsyncSequence`. ONE consumer only.
///
/// The messages of the client's inbox (`MQTTInbox`), its connection events left out: read a
/// client through one of the two. Buffering policy: never drops; unbounded unless
/// `receiveBufferLimit` is set (then the network thread waits for room). The network thread
/// appends each message under a lock and wakes the consumer only when the buffer was empty; the
/// consumer takes the whole batch at once. A slow consumer makes the buffer grow (counted:
/// `MQTTClientStatistics.bufferHighWater`) instead of losing messages silently. The sequence ends after `disconnect()` / `abortConnection()`
/// (or a lost connection with reconnect disabled) once the buffered messages are consumed,
/// and for a cancelled task. A second concurrent consumer gets `nil` at once.
public struct MQTTMessages: AsyncSequence, Sendable {
    /// Each element is one received message.
    public typealias Element = MQTTMessage
    /// Never fails.
    public typealias Failure = Never

    let buffer: HandOffBuffer<MQTTInbound>

    /// The iterator; hands out the local batch, then refills it in one step.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Each element is one received message.
        public typealias Element = MQTTMessage
        /// Never fails.
        public typealias Failure = Never

        var base: HandOffIterator<MQTTInbound>

        /// The next message, waiting for one; nil at the end.
        public mutating func next() async -> MQTTMessage? {
            await next(isolation: nil)
        }

        /// The next message, staying on the caller's actor; nil at the end.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> MQTTMessage? {
            while let inbound = await base.next(isolation: actor) {
                if case .message(let message) = inbound { return message }
            }
            return nil
        }
    }

    /// An iterator over the one shared buffer.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: HandOffIterator(buffer: buffer))
    }
}

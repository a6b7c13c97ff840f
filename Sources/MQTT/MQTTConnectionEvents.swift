/// The connection events of one client, as an `AsyncSequence`. ONE consumer only.
///
/// Every event since the client was created is buffered until read (they are rare), so a
/// consumer that starts late still sees the first `.connected`. Ends like `MQTTMessages`.
public struct MQTTConnectionEvents: AsyncSequence, Sendable {
    /// Each element is one connection event.
    public typealias Element = MQTTConnectionEvent
    /// Never fails.
    public typealias Failure = Never

    let buffer: HandOffBuffer<MQTTConnectionEvent>

    /// The iterator over the shared event buffer.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Each element is one connection event.
        public typealias Element = MQTTConnectionEvent
        /// Never fails.
        public typealias Failure = Never

        var base: HandOffIterator<MQTTConnectionEvent>

        /// The next event, waiting for one; nil at the end.
        public mutating func next() async -> MQTTConnectionEvent? {
            await base.next(isolation: nil)
        }

        /// The next event, staying on the caller's actor; nil at the end.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> MQTTConnectionEvent? {
            await base.next(isolation: actor)
        }
    }

    /// An iterator over the one shared buffer.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: HandOffIterator(buffer: buffer))
    }
}

/// The view updates of one viewer, as an `AsyncSequence`; one subscription per value.
///
/// Buffering: unbounded, never drops, in arrival order. It starts with the directory as it
/// is when the subscription is made (one `.updated` per target, sorted by user id), then every
/// change; a view identical to the one held is not repeated (a replay after a reconnect
/// repeats nothing). It ends when the device or viewer stops.
public struct ViewUpdates: AsyncSequence, Sendable {
    /// Each element is one change.
    public typealias Element = ViewUpdate
    /// Never fails.
    public typealias Failure = Never

    let stream: AsyncStream<ViewUpdate>

    /// The iterator over this subscription's buffer.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Each element is one change.
        public typealias Element = ViewUpdate
        /// Never fails.
        public typealias Failure = Never

        var base: AsyncStream<ViewUpdate>.Iterator

        /// The next update, waiting for one; nil at the end.
        public mutating func next() async -> ViewUpdate? {
            await base.next()
        }

        /// The next update, staying on the caller's actor; nil at the end.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> ViewUpdate? {
            await base.next(isolation: actor)
        }
    }

    /// The iterator; iterate one subscription from one task only.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator())
    }
}

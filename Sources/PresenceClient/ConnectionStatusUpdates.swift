/// The connection status changes of a device or viewer, as an `AsyncSequence`.
///
/// Each value is its own subscription: it starts with the current status, then every change,
/// buffered without limit; it ends after `.stopped`.
public struct ConnectionStatusUpdates: AsyncSequence, Sendable {
    /// Each element is a status.
    public typealias Element = ConnectionStatus
    /// Never fails.
    public typealias Failure = Never

    let stream: AsyncStream<ConnectionStatus>

    /// The iterator over this subscription's buffer.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Each element is a status.
        public typealias Element = ConnectionStatus
        /// Never fails.
        public typealias Failure = Never

        var base: AsyncStream<ConnectionStatus>.Iterator

        /// The next status, waiting for one; nil at the end.
        public mutating func next() async -> ConnectionStatus? {
            await base.next()
        }

        /// The next status, staying on the caller's actor; nil at the end.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> ConnectionStatus? {
            await base.next(isolation: actor)
        }
    }

    /// The iterator; iterate one subscription from one task only.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator())
    }
}

/// The error reports of one user, as an `AsyncSequence`; one subscription per value.
///
/// Only reports that arrive after the subscription is made (errors are not retained); buffered
/// without limit; ends when the device or viewer stops.
public struct PresenceErrorReports: AsyncSequence, Sendable {
    /// Each element is one report.
    public typealias Element = PresenceErrorReport
    /// Never fails.
    public typealias Failure = Never

    let stream: AsyncStream<PresenceErrorReport>

    /// The iterator over this subscription's buffer.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Each element is one report.
        public typealias Element = PresenceErrorReport
        /// Never fails.
        public typealias Failure = Never

        var base: AsyncStream<PresenceErrorReport>.Iterator

        /// The next report, waiting for one; nil at the end.
        public mutating func next() async -> PresenceErrorReport? {
            await base.next()
        }

        /// The next report, staying on the caller's actor; nil at the end.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> PresenceErrorReport? {
            await base.next(isolation: actor)
        }
    }

    /// The iterator; iterate one subscription from one task only.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator())
    }
}

/// Polls `condition` until it holds; throws a clear error naming `what` at the deadline.
///
/// For tests: wait for a condition with a deadline instead of asserting after a fixed sleep.
/// Polls every 10 ms at first, backing off to 100 ms.
public func waitUntil(
    timeout: Duration = .seconds(10), _ what: String, _ condition: () async throws -> Bool
) async throws {
    let start = ContinuousClock.now
    var interval = Duration.milliseconds(10)
    while true {
        if try await condition() { return }
        let elapsed = ContinuousClock.now - start
        if elapsed >= timeout { throw WaitTimeout(what: what, timeout: timeout) }
        try await Task.sleep(for: min(interval, timeout - elapsed))
        interval = min(interval * 2, .milliseconds(100))
    }
}

/// `waitUntil` reached its deadline.
public struct WaitTimeout: Error, Sendable, CustomStringConvertible {
    /// What was waited for.
    public var what: String
    /// How long it was waited for.
    public var timeout: Duration
    /// "timed out after 10 seconds waiting for: what".
    public var description: String { "timed out after \(timeout) waiting for: \(what)" }
}

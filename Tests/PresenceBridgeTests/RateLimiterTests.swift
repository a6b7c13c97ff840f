import BridgeTestSupport
import PresenceCore
import Testing
@testable import PresenceBridge

@Suite("Per-user rate limit")
struct RateLimiterTests {
    @Test("a burst of twice the rate passes, the excess is dropped, with one notice a second")
    func burstThenDrop() {
        var limiter = RateLimiter(rate: 10)
        let alice = UserID("alice")!
        let start = MonotonicInstant(milliseconds: 1_000_000)
        for _ in 0..<20 { #expect(limiter.admit(alice, at: start) == .admit) }
        #expect(limiter.admit(alice, at: start) == .drop(notify: true))
        #expect(limiter.admit(alice, at: start) == .drop(notify: false))
        // 100 ms later one token has come back.
        let later = start + 100
        #expect(limiter.admit(alice, at: later) == .admit)
        #expect(limiter.admit(alice, at: later) == .drop(notify: false))
        let secondLater = start + 1000
        for _ in 0..<9 { #expect(limiter.admit(alice, at: secondLater) == .admit) }
    }

    @Test("one user's flood does not touch another user's budget")
    func usersAreIndependent() {
        var limiter = RateLimiter(rate: 1)
        let now = MonotonicInstant(milliseconds: 0)
        for _ in 0..<2 { _ = limiter.admit(UserID("mallory")!, at: now) }
        #expect(limiter.admit(UserID("mallory")!, at: now) != .admit)
        #expect(limiter.admit(UserID("bob")!, at: now) == .admit)
    }
}

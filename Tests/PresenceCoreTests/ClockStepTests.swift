import PresenceCore
import Testing

/// Deadlines run on the monotonic clock; the wall clock only stamps last seen, and a stamp
/// never goes below one the engine already gave or knows.
@Suite("Wall clock steps: deadlines hold, last seen never moves backwards")
struct ClockStepTests {
    static let typing = Activity(kind: .typing, detail: "c1")

    /// alice online on her phone, bob and alice contacts of each other.
    func online() throws -> Harness {
        var h = Harness()
        h.contacts("bob", ["alice"])
        h.contacts("alice", ["bob"])
        try h.state("alice", "phone", .online, session: "s1")
        return h
    }

    @Test("a step of +1 h takes no heartbeating device offline and leaves leases as they were")
    func stepForwards() throws {
        var h = try online()
        let interval: Int64 = 30_000
        h.advance(interval)
        try h.heartbeat("alice", "phone", session: "s1")
        try h.activity("alice", "phone", Self.typing)
        h.stepWall(3_600_000)
        // Nothing is due: the liveness window and the lease count on the monotonic clock.
        #expect(h.advance(1).isEmpty)
        #expect(h.view("bob", of: "alice")?.status == .online)
        #expect(h.view("bob", of: "alice")?.activity == ActivityView(kind: .typing, detail: "c1"))
        // The lease ends 3 s after it began, not an hour early.
        #expect(h.advance(2_998).isEmpty)
        #expect(h.advance(1).published(to: "bob").first?.activity == nil)
        for _ in 0..<10 {
            h.advance(interval)
            #expect(try h.heartbeat("alice", "phone", session: "s1").isEmpty)
        }
        #expect(h.view("bob", of: "alice")?.status == .online)
        // Last seen takes the stepped clock: forwards is allowed.
        let output = try h.state("alice", "phone", .offline, session: "s1")
        #expect(output.lastSeenChanges == [.lastSeen("alice", h.time)])
    }

    @Test("a step of −1 h neither freezes a lease nor keeps a lost device, and last seen stays")
    func stepBackwards() throws {
        var h = try online()
        h.advance(10_000)
        try h.state("alice", "phone", .offline, session: "s1")
        let first = try #require(h.view("bob", of: "alice")?.lastSeen)
        try h.state("alice", "phone", .online, session: "s2")
        try h.activity("alice", "phone", Self.typing)
        h.stepWall(-3_600_000)
        // The lease clears 3 s after it began, not an hour late.
        #expect(h.advance(2_999).isEmpty)
        #expect(h.advance(1).published(to: "bob").first?.activity == nil)
        // A silent device is lost after 2.5 intervals and its grace, as without the step.
        h.advance(75_000 - 3_000)
        #expect(h.view("bob", of: "alice")?.status == .online)
        h.advance(5_000)
        #expect(h.view("bob", of: "alice")?.status == .offline)
        // Its last live message was stamped after the step: floored at the previous stamp.
        let second = try #require(h.view("bob", of: "alice")?.lastSeen)
        #expect(second >= first)
        // Later stamps stay on that floor until the wall clock passes it again.
        try h.state("alice", "phone", .online, session: "s3")
        h.advance(60_000)
        try h.state("alice", "phone", .offline, session: "s3")
        #expect(h.view("bob", of: "alice")?.lastSeen == second)
        h.advance(3_600_000)
        try h.state("alice", "phone", .online, session: "s4")
        h.advance(1_000)
        try h.state("alice", "phone", .offline, session: "s4")
        #expect(h.view("bob", of: "alice")?.lastSeen == h.time)
        #expect(h.time > second)
    }

    @Test("stamps never go below a last seen restored from the store or read back from a view")
    func knownStampsAreAFloor() throws {
        var h = Harness()
        let stored = h.time + 600_000
        let shown = h.time + 900_000
        h.engine.restore([StoredUser(user: "alice", lastSeen: stored, contacts: ["bob"])])
        _ = h.engine.adoptPublishedLastSeen("bob", shown)
        h.adoptCurrentViews()
        // The wall clock is behind both (a bridge restarted with its clock set back).
        try h.state("carol", "laptop", .online, session: "c1")
        try h.state("carol", "laptop", .offline, session: "c1")
        #expect(h.engine.view(of: "carol", for: "carol")?.lastSeen == shown)
        try h.state("alice", "phone", .online, session: "a1")
        try h.state("alice", "phone", .offline, session: "a1")
        #expect(h.engine.view(of: "alice", for: "alice")?.lastSeen == shown)
    }

    @Test("a carried latest live message is a floor too, and the liveness of carried devices counts from the restart's instant")
    func carriedPresence() throws {
        var h = try online()
        h.stepWall(3_600_000)
        try h.heartbeat("alice", "phone", session: "s1")
        var next = Harness()
        next.now = h.now
        next.engine.restore([StoredUser(user: "alice", contacts: ["bob"]), StoredUser(user: "bob", contacts: ["alice"])])
        next.engine.restorePresence(h.engine.presenceSnapshot(), at: next.instant)
        next.adoptCurrentViews()
        // This engine's wall clock is an hour behind the stamp it carried.
        #expect(next.advance(74_999).isEmpty)
        try next.state("alice", "phone", .offline, session: "s1")
        #expect(next.view("bob", of: "alice")?.lastSeen == h.time)
    }
}

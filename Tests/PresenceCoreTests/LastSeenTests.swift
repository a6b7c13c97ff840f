import PresenceCore
import Testing

@Suite("Last seen: set only when the user goes offline")
struct LastSeenTests {
    @Test("absent until the user has gone offline once")
    func absentUntilOffline() throws {
        var h = Harness()
        h.contacts("alice", ["bob"])
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        #expect(h.view("bob", of: "alice")?.lastSeen == nil)
    }

    @Test("is the last live message before a will, not the will itself")
    func lastLiveMessageBeforeWill() throws {
        var h = Harness()
        h.contacts("alice", ["bob"])
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        h.now += 20_000
        try h.heartbeat("alice", "phone", session: "s1")
        let lastLive = h.time
        h.now += 10_000
        try h.state("alice", "phone", .offline, session: "s1", lost: true)
        let output = h.advance(5_000)
        #expect(output.lastSeenChanges == [.lastSeen("alice", lastLive)])
        #expect(h.view("bob", of: "alice")?.lastSeen == lastLive)
    }

    @Test("a live explicit offline is itself the last live message")
    func explicitOfflineCounts() throws {
        var h = Harness()
        try h.state("alice", "phone", .online)
        h.now += 1_234
        let output = try h.state("alice", "phone", .offline)
        #expect(output.lastSeenChanges == [.lastSeen("alice", h.time)])
    }

    @Test("does not change while the user stays online, and the same for every viewer")
    func stableWhileOnline() throws {
        var h = Harness()
        h.contacts("alice", ["bob", "carol"])
        h.contacts("bob", ["alice"])
        h.contacts("carol", ["alice"])
        try h.state("alice", "phone", .online)
        try h.state("alice", "phone", .offline)
        let first = h.view("bob", of: "alice")?.lastSeen
        h.now += 60_000
        try h.state("alice", "phone", .online)
        h.now += 60_000
        try h.heartbeat("alice", "phone")
        #expect(h.view("bob", of: "alice")?.lastSeen == first)
        try h.state("alice", "phone", .away)
        #expect(h.view("bob", of: "alice")?.lastSeen == first)
        try h.state("alice", "phone", .offline)
        #expect(h.view("bob", of: "alice")?.lastSeen == h.time)
        #expect(h.view("carol", of: "alice")?.lastSeen == h.time)
    }

    @Test("never moves backwards, and is kept when no live message is known")
    func neverBackwards() throws {
        var h = Harness()
        h.engine.restore([StoredUser(user: "alice", lastSeen: h.time + 1_000_000)])
        h.adoptCurrentViews()
        try h.state("alice", "phone", .online)
        let output = try h.state("alice", "phone", .offline)
        #expect(output.lastSeenChanges.isEmpty)
        #expect(h.engine.view(of: "alice", for: "alice")?.lastSeen == h.time + 1_000_000)

        var replay = Harness()
        replay.engine.restore([StoredUser(user: "alice", lastSeen: Timestamp(millisecondsSinceEpoch: 5))])
        replay.adoptCurrentViews()
        try replay.state("alice", "phone", .online, session: "s1", live: false)
        try replay.state("alice", "phone", .offline, session: "s1", lost: true, live: false)
        #expect(!replay.durable.contains { if case .lastSeen = $0 { true } else { false } })
        #expect(replay.engine.view(of: "alice", for: "alice")?.lastSeen == Timestamp(millisecondsSinceEpoch: 5))
    }

    @Test("going invisible sets it to that moment")
    func invisibleSetsLastSeen() throws {
        var h = Harness()
        try h.state("alice", "phone", .online)
        h.now += 500
        let output = try h.state("alice", "phone", .invisible)
        #expect(output.lastSeenChanges == [.lastSeen("alice", h.time)])
    }
}

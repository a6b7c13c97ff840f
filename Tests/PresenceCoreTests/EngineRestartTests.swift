import PresenceCore
import Testing

/// What a restart needs from the engine: stable numbering, every view in a known order, the
/// devices' sessions as durable facts, and last-seen times read back from the broker.
@Suite("Restoring an engine after a restart")
struct EngineRestartTests {
    @Test("restored indices number users as the store did; new users come after")
    func stableIndices() {
        var engine = PresenceEngine()
        engine.restoreIndices(["carol", "alice", "bob"])
        engine.restore([StoredUser(user: "alice", contacts: ["dave"])])
        #expect(engine.userIndex(of: "carol") == 0)
        #expect(engine.userIndex(of: "alice") == 1)
        #expect(engine.userIndex(of: "bob") == 2)
        #expect(engine.userIndex(of: "dave") == 3)
        #expect(engine.userCount == 4)
        #expect(engine.userID(at: 3) == "dave")
    }

    @Test("every view comes in index order: viewers ascending, each one's targets ascending, its own view in its place")
    func viewsInIndexOrder() {
        var engine = PresenceEngine()
        engine.restoreIndices(["a", "b", "c", "d"])
        engine.restore([
            StoredUser(user: "c", contacts: ["d", "a"], watch: ["b"]),
            StoredUser(user: "a", contacts: ["d"]),
            StoredUser(user: "b"),
        ])
        var pairs: [[Int32]] = []
        engine.forEachIndexedView { viewer, target, _ in pairs.append([viewer, target]) }
        #expect(pairs == [[0, 0], [0, 3], [1, 1], [2, 0], [2, 1], [2, 2], [2, 3]])
    }

    @Test("a device's state is a durable fact while it is present, and its going offline too")
    func deviceFacts() throws {
        var h = Harness()
        let online = try h.state("alice", "phone", .online, session: "s1", platform: "mobile")
        #expect(online.durableChanges == [.devicePresent("alice", DeviceSnapshot(device: "phone", status: .online, session: "s1", platform: "mobile")),
                                          .seenLive("alice", h.time)])
        #expect(try h.state("alice", "phone", .online, session: "s1", platform: "mobile").durableChanges.isEmpty, "no news, no write")
        #expect(try h.heartbeat("alice", "phone", session: "s1").durableChanges.isEmpty, "heartbeats never write")
        try h.state("alice", "phone", .offline, session: "s1", lost: true)
        #expect(h.advance(10_000).durableChanges.contains(.deviceAbsent("alice", "phone")), "offline at the end of the grace")
    }

    @Test("after a crash, the stored session keeps an older connection's will stale")
    func staleWillAfterCrash() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        try h.state("alice", "phone", .online, session: "s2")
        // A restart from what the store kept, then the broker replays s1's will as the retained state.
        var stored: [PresenceSnapshot] = []
        for case .devicePresent(let user, let device) in h.durable {
            stored.removeAll { $0.user == user }
            stored.append(PresenceSnapshot(user: user, latestLive: nil, devices: [device]))
        }
        var next = Harness()
        next.now = h.now + 5_000
        next.engine.restore([StoredUser(user: "bob", contacts: ["alice"])])
        next.engine.restorePresence(stored, at: next.instant)
        next.adoptCurrentViews()
        let replay = try next.state("alice", "phone", .offline, session: "s1", lost: true, live: false)
        #expect(replay.isEmpty)
        next.advance(10_000)
        try next.heartbeat("alice", "phone", session: "s2")
        #expect(next.view("bob", of: "alice")?.status == .online, "still online on s2")
    }

    @Test("a last-seen time read back from the broker is kept when the engine knows no later one")
    func adoptsPublishedLastSeen() {
        var engine = PresenceEngine()
        engine.restore([StoredUser(user: "bob", contacts: ["alice"]), StoredUser(user: "alice", lastSeen: Timestamp(millisecondsSinceEpoch: 2_000))])
        #expect(engine.adoptPublishedLastSeen("alice", Timestamp(millisecondsSinceEpoch: 1_000)).isEmpty, "never backwards")
        let later = Timestamp(millisecondsSinceEpoch: 3_000)
        #expect(engine.adoptPublishedLastSeen("alice", later).durableChanges == [.lastSeen("alice", later)])
        #expect(engine.view(of: "alice", for: "alice")?.lastSeen == later)
    }
}

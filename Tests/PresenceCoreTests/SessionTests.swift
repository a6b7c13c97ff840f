import PresenceCore
import Testing

@Suite("Sessions make late wills harmless")
struct SessionTests {
    @Test("a will of an older session is ignored")
    func staleWillIsIgnored() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        try h.state("alice", "phone", .online, session: "s2")
        let output = try h.state("alice", "phone", .offline, session: "s1", lost: true)
        #expect(output.isEmpty)
        h.advance(10_000)
        #expect(h.view("bob", of: "alice")?.status == .online)
    }

    @Test("an explicit offline of an older session is ignored too")
    func staleOfflineIsIgnored() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s2")
        #expect(try h.state("alice", "phone", .offline, session: "s1").isEmpty)
        #expect(h.view("alice", of: "alice")?.status == .online)
    }

    @Test("without a session on either side the latest message wins")
    func withoutSessionLatestWins() throws {
        var h = Harness()
        try h.state("alice", "phone", .online)
        try h.state("alice", "phone", .offline, session: "s1")
        #expect(h.view("alice", of: "alice")?.status == .offline)
        try h.state("alice", "tab", .online, session: "s1")
        try h.state("alice", "tab", .offline)
        #expect(h.view("alice", of: "alice")?.status == .offline)
    }

    @Test("a heartbeat of another session does not keep the device alive")
    func foreignHeartbeatIsIgnored() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s2")
        h.advance(60_000)
        try h.heartbeat("alice", "phone", session: "s1")
        h.advance(20_000)  // 80 s after the last proof of life: lost, in its grace
        h.advance(5_000)
        #expect(h.view("alice", of: "alice")?.status == .offline)
    }
}

@Suite("Lost devices keep their status for the offline grace")
struct OfflineGraceTests {
    @Test("a will shows offline only after the grace")
    func willWaitsForGrace() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        #expect(try h.state("alice", "phone", .offline, session: "s1", lost: true).viewChanges.isEmpty)
        #expect(h.engine.nextDeadline == h.instant + 5_000)
        #expect(h.advance(4_999).viewChanges.isEmpty)
        let output = h.advance(1)
        #expect(output.published(to: "bob").first?.status == .offline)
        #expect(h.view("alice", of: "alice")?.status == .offline)
    }

    @Test("a reconnect within the grace shows no change at all")
    func reconnectWithinGraceShowsNothing() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        try h.state("alice", "phone", .offline, session: "s1", lost: true)
        h.advance(2_000)
        let reconnect = try h.state("alice", "phone", .online, session: "s2")
        #expect(reconnect.viewChanges.isEmpty)
        #expect(reconnect.durableChanges == [.devicePresent("alice", DeviceSnapshot(device: "phone", status: .online, session: "s2", platform: nil)),
                                             .seenLive("alice", h.time)],
                "the new session is a durable fact: after a crash the old connection's will stays stale")
        #expect(h.advance(10_000).isEmpty)
        #expect(h.view("bob", of: "alice")?.status == .online)
    }

    @Test("an explicit offline is immediate")
    func explicitOfflineIsImmediate() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        let output = try h.state("alice", "phone", .offline, session: "s1")
        #expect(output.published(to: "bob").first?.status == .offline)
    }

    @Test("a retained will replayed after a restart is applied at once")
    func replayedWillIsImmediate() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1", live: false)
        try h.state("alice", "phone", .offline, session: "s1", lost: true, live: false)
        #expect(h.view("alice", of: "alice")?.status == .offline)
    }

    @Test("an explicit offline during the grace ends it at once")
    func explicitOfflineEndsGrace() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        try h.state("alice", "phone", .offline, session: "s1", lost: true)
        try h.state("alice", "phone", .offline, session: "s1")
        #expect(h.view("alice", of: "alice")?.status == .offline)
        #expect(h.advance(10_000).isEmpty)
    }
}

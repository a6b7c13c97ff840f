import PresenceCore
import Testing

@Suite("Liveness: a silent device is lost")
struct LivenessTests {
    @Test("silent for 2.5 heartbeat intervals, a device is lost, then offline after the grace")
    func silentDeviceIsLost() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        #expect(h.advance(74_999).isEmpty)
        #expect(h.advance(1).isEmpty)  // lost now: its grace starts
        #expect(h.view("bob", of: "alice")?.status == .online)
        let output = h.advance(5_000)
        #expect(output.published(to: "bob").first?.status == .offline)
    }

    @Test("heartbeats keep a device alive, publish nothing and never touch the timer heap")
    func heartbeatsKeepAlive() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        let timers = h.engine.statistics.pendingTimers
        for _ in 0..<10 {
            h.now += 30_000
            #expect(try h.heartbeat("alice", "phone", session: "s1").isEmpty)
            #expect(h.engine.statistics.pendingTimers == timers)
            #expect(h.engine.tick(at: h.instant).isEmpty)
        }
        #expect(h.view("alice", of: "alice")?.status == .online)
    }

    @Test("a device lost by liveness comes back in its previous status with a heartbeat of its session")
    func lostByLivenessResumes() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .away, session: "s1")
        h.advance(80_000)
        #expect(h.view("bob", of: "alice")?.status == .offline)
        let output = try h.heartbeat("alice", "phone", session: "s1")
        #expect(output.published(to: "bob").first?.status == .away)
    }

    @Test("a heartbeat without a session counts as the same session")
    func heartbeatWithoutSessionResumes() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        h.advance(80_000)
        try h.heartbeat("alice", "phone")
        #expect(h.view("alice", of: "alice")?.status == .online)
    }

    @Test("a live activity also brings a device lost by liveness back")
    func activityResumes() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        h.advance(80_000)
        try h.activity("alice", "phone", Activity(kind: .busy, detail: "meeting", ttlMilliseconds: 0))
        #expect(h.view("alice", of: "alice")?.status == .online)
        #expect(h.view("alice", of: "alice")?.activity == ActivityView(kind: .busy, detail: "meeting"))
    }

    @Test("during the grace a heartbeat just cancels the loss, with no visible change")
    func heartbeatDuringGraceCancelsLoss() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        h.advance(76_000)
        #expect(try h.heartbeat("alice", "phone", session: "s1").isEmpty)
        #expect(h.advance(10_000).isEmpty)
        #expect(h.view("bob", of: "alice")?.status == .online)
        h.advance(70_000)  // and it is watched again afterwards
        #expect(h.view("bob", of: "alice")?.status == .offline)
    }

    @Test("a heartbeat never revives a device that went offline by a will or explicitly")
    func heartbeatDoesNotReviveOffline() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        try h.state("alice", "phone", .offline, session: "s1", lost: true)
        #expect(try h.heartbeat("alice", "phone", session: "s1").isEmpty)  // will pending: nothing
        h.advance(5_000)
        #expect(try h.heartbeat("alice", "phone", session: "s1").isEmpty)
        try h.state("alice", "tab", .online)
        try h.state("alice", "tab", .offline)
        #expect(try h.heartbeat("alice", "tab").isEmpty)
        #expect(try h.heartbeat("alice", "unknown").isEmpty)
        #expect(try h.heartbeat("nobody", "unknown").isEmpty)
        #expect(h.view("alice", of: "alice")?.status == .offline)
    }

    @Test("a will after a liveness loss makes the loss final")
    func willAfterLivenessLoss() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        h.advance(80_000)
        try h.state("alice", "phone", .offline, session: "s1", lost: true)
        #expect(try h.heartbeat("alice", "phone", session: "s1").isEmpty)
        #expect(h.view("alice", of: "alice")?.status == .offline)
    }

    @Test("a device restored by a retained replay is watched from the replay time")
    func replayedDeviceDeadlineFromReplayTime() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1", live: false)
        h.advance(74_999)
        #expect(h.view("alice", of: "alice")?.status == .online)
        h.advance(1 + 5_000)
        #expect(h.view("alice", of: "alice")?.status == .offline)
        try h.heartbeat("alice", "phone", session: "s1")
        #expect(h.view("alice", of: "alice")?.status == .online)
    }

    @Test("replayed heartbeats prove nothing")
    func replayedHeartbeatProvesNothing() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        h.now += 70_000
        try h.send(.heartbeat("alice", "phone", session: "s1"), live: false)
        h.advance(10_000)
        #expect(h.view("alice", of: "alice")?.status == .offline)
    }
}

@Suite("Devices lost by liveness stay lost across replays")
struct LostDeviceReplayTests {
    @Test("a liveness loss is a durable fact, and speaking again clears it")
    func lossIsDurable() throws {
        var h = Harness()
        try h.state("alice", "phone", .away, session: "s1")
        let lost = h.advance(80_000)
        #expect(lost.durableChanges.contains(.deviceLost("alice", LostDevice(device: "phone", session: "s1", status: .away))))
        let back = try h.heartbeat("alice", "phone", session: "s1")
        #expect(back.durableChanges.contains(.deviceFound("alice", "phone")))
    }

    @Test("a will's loss is not remembered: it is final anyway")
    func willLossIsNotRemembered() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        try h.state("alice", "phone", .offline, session: "s1", lost: true)
        let output = h.advance(10_000)
        #expect(!output.durableChanges.contains { if case .deviceLost = $0 { true } else { false } })
    }

    @Test("the retained state of a lost device, replayed, does not bring it back")
    func replayDoesNotRevive() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        h.advance(80_000)
        let replay = try h.send(.deviceState("alice", "phone", DeviceState(status: .online, session: "s1", platform: nil, isLost: false)), live: false)
        #expect(replay.isEmpty)
        #expect(h.view("bob", of: "alice")?.status == .offline)
        // A live state is news, whatever its session.
        try h.state("alice", "phone", .online, session: "s1")
        #expect(h.view("bob", of: "alice")?.status == .online)
    }

    @Test("restored lost devices survive a restart: the replay keeps them offline, their heartbeat revives them")
    func restoredLostDevice() throws {
        var h = Harness()
        h.engine.restore([StoredUser(user: "alice", lastSeen: Timestamp(millisecondsSinceEpoch: h.now - 1000),
                                     contacts: ["bob"], lostDevices: [LostDevice(device: "phone", session: "s1", status: .away, platform: "web")])])
        h.adoptCurrentViews()
        h.contacts("bob", ["alice"])
        let replay = try h.send(.deviceState("alice", "phone", DeviceState(status: .away, session: "s1", platform: nil, isLost: false)), live: false)
        #expect(replay.published(to: "bob").isEmpty)
        #expect(h.view("bob", of: "alice")?.status == .offline)
        let back = try h.heartbeat("alice", "phone", session: "s1")
        #expect(back.published(to: "bob").first?.status == .away)
        #expect(back.published(to: "bob").first?.devices?.first?.platform == "web", "it comes back with its platform")
        #expect(back.durableChanges.contains(.deviceFound("alice", "phone")))
    }

    @Test("a replayed state of another session or status is applied as usual")
    func otherReplaysApply() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        h.advance(80_000)
        try h.send(.deviceState("alice", "phone", DeviceState(status: .online, session: "s2", platform: nil, isLost: false)), live: false)
        #expect(h.view("alice", of: "alice")?.status == .online)
    }
}

@Suite("Presence carried over a restart or a reconnect")
struct PresenceSnapshotTests {
    /// An engine that takes over from `h`'s: the durable facts and the snapshot, as a restart would.
    private func takeOver(from h: Harness, after gap: Int64) -> Harness {
        var next = Harness()
        next.now = h.now + gap
        next.engine.restore([StoredUser(user: "bob", contacts: ["alice"]), StoredUser(user: "alice", contacts: ["bob"])])
        next.engine.restorePresence(h.engine.presenceSnapshot(), at: next.instant)
        next.adoptCurrentViews()
        return next
    }

    @Test("a will replayed after the gap sets last seen to the last live message before it")
    func willAfterGap() throws {
        var h = Harness()
        h.contacts("alice", ["bob"])
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        h.now += 10_000
        try h.heartbeat("alice", "phone", session: "s1")
        let lastLive = h.time
        var next = takeOver(from: h, after: 20_000)
        #expect(next.engine.view(of: "alice", for: "bob")?.status == .online)
        let output = try next.send(.deviceState("alice", "phone", DeviceState(status: .offline, session: "s1", platform: nil, isLost: true)), live: false)
        #expect(output.lastSeenChanges == [.lastSeen("alice", lastLive)])
        #expect(next.engine.view(of: "alice", for: "bob")?.lastSeen == lastLive)
    }

    @Test("the replayed state itself changes nothing")
    func sameStateIsNoNews() throws {
        var h = Harness()
        try h.state("alice", "phone", .away, session: "s1", platform: "web")
        var next = takeOver(from: h, after: 5_000)
        let output = try next.send(.deviceState("alice", "phone", DeviceState(status: .away, session: "s1", platform: "web", isLost: false)), live: false)
        #expect(output.viewChanges.isEmpty)
    }

    @Test("an invisible user's last seen stays frozen across the gap")
    func invisibleStaysFrozen() throws {
        var h = Harness()
        h.contacts("alice", ["bob"])
        try h.state("alice", "phone", .online, session: "s1")
        h.now += 1_000
        try h.state("alice", "phone", .invisible, session: "s1")
        let frozen = h.engine.view(of: "alice", for: "bob")?.lastSeen
        h.now += 10_000
        try h.heartbeat("alice", "phone", session: "s1")
        var next = takeOver(from: h, after: 5_000)
        let output = try next.send(.deviceState("alice", "phone", DeviceState(status: .offline, session: "s1", platform: nil, isLost: true)), live: false)
        #expect(output.lastSeenChanges.isEmpty)
        #expect(next.engine.view(of: "alice", for: "bob")?.lastSeen == frozen)
    }

    @Test("a restored device that never speaks again is lost by liveness, counted from the restore")
    func restoredDeviceLiveness() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "s1")
        var next = takeOver(from: h, after: 60_000)
        #expect(next.advance(74_000).viewChanges.isEmpty)
        next.advance(1_000 + 5_000)
        #expect(next.engine.view(of: "alice", for: "alice")?.status == .offline)
    }
}

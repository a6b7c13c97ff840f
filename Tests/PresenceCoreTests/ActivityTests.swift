import PresenceCore
import Testing

@Suite("Activity leases")
struct ActivityTests {
    static let typing = Activity(kind: .typing, detail: "c1")

    func online() throws -> Harness {
        var h = Harness()
        h.contacts("bob", ["alice"])
        h.contacts("alice", ["bob"])
        try h.state("alice", "phone", .online, session: "s1")
        return h
    }

    @Test("an activity without ttl clears after the default 3 s")
    func defaultTTL() throws {
        var h = try online()
        let output = try h.activity("alice", "phone", Self.typing)
        #expect(output.published(to: "bob").first?.activity == ActivityView(kind: .typing, detail: "c1"))
        #expect(h.advance(2_999).isEmpty)
        #expect(h.advance(1).published(to: "bob").first?.activity == nil)
    }

    @Test("an explicit ttl sets the lease; sending it again extends it without publishing")
    func explicitTTL() throws {
        var h = try online()
        let typing = Activity(kind: .typing, detail: "c1", ttlMilliseconds: 10_000)
        try h.activity("alice", "phone", typing)
        h.advance(8_000)
        #expect(try h.activity("alice", "phone", typing).isEmpty)
        #expect(h.advance(9_000).isEmpty)
        #expect(h.advance(1_000).published(to: "bob").first?.activity == nil)
    }

    @Test("ttl 0 lasts until replaced, idle clears it")
    func ttlZeroUntilReplaced() throws {
        var h = try online()
        try h.activity("alice", "phone", Activity(kind: .busy, detail: "meeting", ttlMilliseconds: 0))
        for _ in 0..<20 {
            h.advance(50_000)
            try h.heartbeat("alice", "phone", session: "s1")
        }
        #expect(h.view("bob", of: "alice")?.activity == ActivityView(kind: .busy, detail: "meeting"))
        let output = try h.activity("alice", "phone", nil)
        #expect(output.published(to: "bob").first?.activity == nil)
    }

    @Test("the user's activity is the most recent one in force across devices")
    func mostRecentAcrossDevices() throws {
        var h = try online()
        try h.state("alice", "laptop", .online)
        try h.activity("alice", "laptop", Activity(kind: .viewing, detail: "/inbox", ttlMilliseconds: 0))
        try h.activity("alice", "phone", Activity(kind: .typing, detail: "c1", ttlMilliseconds: 1_000))
        #expect(h.view("bob", of: "alice")?.activity?.kind == .typing)
        h.advance(1_000)
        #expect(h.view("bob", of: "alice")?.activity == ActivityView(kind: .viewing, detail: "/inbox"))
    }

    @Test("a device's activity clears when it goes offline, at the end of the grace")
    func clearsWhenOffline() throws {
        var h = try online()
        try h.activity("alice", "phone", Activity(kind: .busy, ttlMilliseconds: 0))
        try h.state("alice", "phone", .offline, session: "s1", lost: true)
        #expect(h.view("bob", of: "alice")?.activity?.kind == .busy)
        h.advance(5_000)
        #expect(h.view("bob", of: "alice")?.activity == nil)
        try h.state("alice", "phone", .online, session: "s2")
        #expect(h.view("bob", of: "alice")?.activity == nil)
    }

    @Test("`to` limits the activity to the viewers it names, and the user itself")
    func audienceLimitsViewers() throws {
        var h = try online()
        h.contacts("alice", ["bob", "carol"])
        h.contacts("carol", ["alice"])
        try h.activity("alice", "phone", Activity(kind: .typing, detail: "c1", audience: ["carol"]))
        #expect(h.view("carol", of: "alice")?.activity?.kind == .typing)
        #expect(h.view("bob", of: "alice")?.activity == nil)
        #expect(h.view("alice", of: "alice")?.activity?.kind == .typing)
    }

    @Test("an empty `to` shows the activity to no one but the user")
    func emptyAudienceIsTheUserAlone() throws {
        var h = try online()
        h.contacts("alice", ["bob", "carol"])
        h.contacts("bob", ["alice"])
        h.watch("carol", ["alice"])
        try h.activity("alice", "phone", Activity(kind: .typing, detail: "c1", audience: []))
        #expect(h.view("bob", of: "alice")?.status == .online)
        #expect(h.view("bob", of: "alice")?.activity == nil)
        #expect(h.view("carol", of: "alice")?.status == .online)
        #expect(h.view("carol", of: "alice")?.activity == nil)
        #expect(h.view("alice", of: "alice")?.activity == ActivityView(kind: .typing, detail: "c1"))
    }

    @Test("an activity from an offline or unknown device changes nothing")
    func activityFromOfflineDevice() throws {
        var h = try online()
        try h.state("alice", "tab", .online)
        try h.state("alice", "tab", .offline)
        #expect(try h.activity("alice", "tab", Self.typing).isEmpty)
        #expect(try h.activity("alice", "nope", Self.typing).isEmpty)
        #expect(try h.activity("zed", "nope", Self.typing).isEmpty)
    }

    @Test("a replayed activity is restored but proves nothing about liveness")
    func replayedActivity() throws {
        var h = try online()
        h.now += 70_000
        try h.activity("alice", "phone", Activity(kind: .busy, ttlMilliseconds: 0), live: false)
        #expect(h.view("bob", of: "alice")?.activity?.kind == .busy)
        h.advance(10_000)
        #expect(h.view("bob", of: "alice")?.status == .offline)
    }
}

@Suite("Invisible: present to oneself, offline to everyone else")
struct InvisibleTests {
    @Test("others see offline, no devices, no activity; the self view shows invisible")
    func invisibleHidesFromOthers() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        h.contacts("alice", ["bob"])
        try h.state("alice", "phone", .online, session: "s1")
        h.now += 1_000
        try h.state("alice", "laptop", .invisible, platform: "desktop")
        try h.activity("alice", "phone", Activity(kind: .busy, ttlMilliseconds: 0))
        #expect(h.view("bob", of: "alice") == View(user: "alice", status: .offline,
                                                  lastSeen: h.time, devices: []))
        let own = try #require(h.view("alice", of: "alice"))
        #expect(own.status == .invisible)
        #expect(own.devices == [DeviceView(id: "laptop", platform: "desktop", status: .invisible),
                                DeviceView(id: "phone", status: .online)])
        #expect(own.activity?.kind == .busy)
    }

    @Test("nothing received while invisible advances what others see")
    func frozenWhileInvisible() throws {
        var h = Harness()
        h.contacts("alice", ["bob"])
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1")
        h.now += 1_000
        try h.state("alice", "phone", .invisible, session: "s1")
        let seen = h.view("bob", of: "alice")
        for _ in 0..<5 {
            h.now += 10_000
            #expect(try h.heartbeat("alice", "phone", session: "s1").isEmpty)
            try h.state("alice", "phone", .invisible, session: "s1")
            try h.activity("alice", "phone", Activity(kind: .typing))
            #expect(h.view("bob", of: "alice") == seen)
        }
        try h.state("alice", "phone", .offline, session: "s1")
        #expect(h.view("bob", of: "alice") == seen)
    }
}

import PresenceCore
import Testing

@Suite("Privacy is enforced per field and per viewer")
struct PrivacyTests {
    /// alice is online and busy, has gone offline once; bob is her contact, carol only watches her.
    func scene() throws -> Harness {
        var h = Harness()
        h.contacts("alice", ["bob"])
        h.contacts("bob", ["alice"])
        h.watch("carol", ["alice"])
        try h.state("alice", "phone", .online, platform: "mobile")
        try h.state("alice", "phone", .offline)
        try h.state("alice", "phone", .online, platform: "mobile")
        try h.activity("alice", "phone", Activity(kind: .busy, detail: "meeting", ttlMilliseconds: 0))
        return h
    }

    @Test("defaults: status to everyone, last seen and activity to contacts")
    func defaults() throws {
        let h = try scene()
        let contact = try #require(h.view("bob", of: "alice"))
        #expect(contact.status == .online && contact.lastSeen != nil && contact.activity != nil)
        #expect(h.view("carol", of: "alice") == View(user: "alice", status: .online,
                                                    devices: [DeviceView(id: "phone", platform: "mobile", status: .online)]))
    }

    @Test("nobody hides a field from everyone but the user itself")
    func nobodyHides() throws {
        var h = try scene()
        let output = h.settings("alice", status: .nobody, lastSeen: .nobody, activity: .nobody)
        #expect(output.durableChanges == [.settings("alice", PrivacySettings(showOnlineStatus: .nobody, showLastSeen: .nobody, showActivity: .nobody))])
        #expect(h.view("bob", of: "alice") == View(user: "alice"))
        #expect(h.view("carol", of: "alice") == View(user: "alice"))
        #expect(h.view("alice", of: "alice")?.activity != nil)
    }

    @Test("everyone opens a field to viewers who are not contacts")
    func everyoneOpens() throws {
        var h = try scene()
        h.settings("alice", lastSeen: .everyone, activity: .everyone)
        #expect(h.view("carol", of: "alice")?.lastSeen != nil)
        #expect(h.view("carol", of: "alice")?.activity == ActivityView(kind: .busy, detail: "meeting"))
    }

    @Test("a settings update keeps the keys it leaves out; an unchanged update emits nothing")
    func partialUpdate() throws {
        var h = try scene()
        h.settings("alice", activity: .nobody)
        h.settings("alice", status: .contacts)
        #expect(h.durable.last == .settings("alice", PrivacySettings(showOnlineStatus: .contacts, showLastSeen: .contacts, showActivity: .nobody)))
        #expect(h.settings("alice", status: .contacts).isEmpty)
    }

    @Test("a blocked viewer gets the bare view, even as a contact, whatever the settings")
    func blockedIsBare() throws {
        var h = try scene()
        h.settings("alice", status: .everyone, lastSeen: .everyone, activity: .everyone)
        let output = h.blocked("alice", ["bob"])
        #expect(output.published(to: "bob") == [View(user: "alice")])
        #expect(output.durableChanges == [.blocked("alice", ["bob"])])
        try h.state("alice", "phone", .away, platform: "mobile")
        #expect(h.view("bob", of: "alice") == View(user: "alice"))
        h.blocked("alice", [])
        #expect(h.view("bob", of: "alice")?.status == .away)
    }

    @Test("revocation: tightening a setting republishes the affected views at once")
    func tighteningRevokes() throws {
        var h = try scene()
        let output = h.settings("alice", activity: .nobody)
        #expect(output.keys == [ViewKey(viewer: "bob", target: "alice")])
        #expect(h.view("bob", of: "alice")?.activity == nil)
    }

    @Test("revocation: removing a contact republishes that viewer's view at once")
    func removingContactRevokes() throws {
        var h = try scene()
        let output = h.contacts("alice", [])
        #expect(output.published(to: "bob").first?.lastSeen == nil)
        #expect(output.published(to: "bob").first?.activity == nil)
        #expect(output.keys.contains(ViewKey(viewer: "alice", target: "bob")))  // alice stops holding bob
    }

    @Test("the self view is unfiltered")
    func selfViewUnfiltered() throws {
        var h = try scene()
        h.settings("alice", status: .nobody, lastSeen: .nobody, activity: .nobody)
        let own = try #require(h.view("alice", of: "alice"))
        #expect(own.status == .online && own.lastSeen != nil && own.activity != nil && own.devices?.count == 1)
    }
}

@Suite("Lists decide which views exist")
struct ListTests {
    @Test("adding a contact publishes its view; removing it deletes the view")
    func contactsPublishAndDelete() {
        var h = Harness()
        let added = h.contacts("alice", ["bob"])
        #expect(added.keys == [ViewKey(viewer: "alice", target: "alice"), ViewKey(viewer: "alice", target: "bob")])
        let removed = h.contacts("alice", [])
        #expect(removed.deletes("alice", "bob"))
        #expect(h.view("alice", of: "bob") == nil)
        #expect(h.engine.view(of: "bob", for: "alice") == nil)
    }

    @Test("a view is deleted only when the target is off every list")
    func deletedOnlyWhenOffAllLists() {
        var h = Harness()
        h.contacts("alice", ["bob"])
        h.watch("alice", ["bob"])
        let output = h.contacts("alice", [])
        #expect(!output.deletes("alice", "bob"))
        #expect(h.view("alice", of: "bob") != nil)
        h.watch("alice", [])
        #expect(h.view("alice", of: "bob") == nil)
    }

    @Test("duplicates and the user's own id are ignored; an unchanged list emits nothing")
    func listsAreNormalised() {
        var h = Harness()
        let output = h.contacts("alice", ["bob", "alice", "bob", "carol"])
        #expect(output.durableChanges == [.contacts("alice", ["bob", "carol"])])
        #expect(h.contacts("alice", ["carol", "bob", "bob"]).isEmpty)
    }

    @Test("a watched user shows only what it shows non-contacts")
    func watchShowsNonContactLevel() throws {
        var h = Harness()
        h.watch("carol", ["alice"])
        try h.state("alice", "phone", .online)
        try h.state("alice", "phone", .offline)
        #expect(h.view("carol", of: "alice") == View(user: "alice", status: .offline, devices: []))
    }

    @Test("blocked changes no view that exists, only what it shows")
    func blockedDoesNotCreateViews() {
        var h = Harness()
        let output = h.blocked("alice", ["bob"])
        #expect(output.keys == [ViewKey(viewer: "alice", target: "alice")])
    }

    @Test("a settings change reaches every one of many viewers in one step")
    func settingsReachManyViewers() {
        var h = Harness()
        let viewers = (0..<300).map { UserID("v\($0)")! }
        for viewer in viewers { h.watch(viewer, ["star"]) }
        let output = h.settings("star", status: .nobody)
        #expect(output.viewChanges.count == 301)
        #expect(viewers.allSatisfy { h.view($0, of: "star") == View(user: "star") })
    }
}

@Suite("Restore and reconcile after a restart")
struct RestoreTests {
    @Test("restore emits nothing and forEachView lists every view that should exist")
    func restoreThenEnumerate() {
        var engine = PresenceEngine()
        engine.restore([
            StoredUser(user: "alice", lastSeen: Timestamp(millisecondsSinceEpoch: 1_000),
                       settings: PrivacySettings(showOnlineStatus: .contacts, showLastSeen: .everyone, showActivity: .nobody),
                       contacts: ["bob", "alice", "bob"], blocked: ["carol"], watch: ["dave"]),
            StoredUser(user: "bob", contacts: ["alice"]),
            StoredUser(user: "carol", watch: ["alice"]),
        ])
        var views: [ViewKey: View] = [:]
        engine.forEachView { viewer, target, view in views[ViewKey(viewer: viewer, target: target)] = view }
        let seen = Timestamp(millisecondsSinceEpoch: 1_000)
        #expect(views == [
            ViewKey(viewer: "alice", target: "alice"): View(user: "alice", status: .offline, lastSeen: seen, devices: []),
            ViewKey(viewer: "alice", target: "bob"): View(user: "bob", status: .offline, devices: []),
            ViewKey(viewer: "alice", target: "dave"): View(user: "dave", status: .offline, devices: []),
            ViewKey(viewer: "bob", target: "bob"): View(user: "bob", status: .offline, devices: []),
            ViewKey(viewer: "bob", target: "alice"): View(user: "alice", status: .offline, lastSeen: seen, devices: []),
            ViewKey(viewer: "carol", target: "carol"): View(user: "carol", status: .offline, devices: []),
            ViewKey(viewer: "carol", target: "alice"): View(user: "alice"),
        ])
        #expect(engine.nextDeadline == nil)
        #expect(engine.statistics == EngineStatistics(usersKnown: 3, internedIDs: 4, devicesNotOffline: 0, pendingTimers: 0))
    }

    @Test("replaying the same lists after a restore changes nothing")
    func replayOfSameListsIsSilent() throws {
        var engine = PresenceEngine()
        engine.restore([StoredUser(user: "alice", contacts: ["bob"])])
        let output = try engine.apply(.contacts("alice", ["bob"]), live: false, at: ClockReading(instant: MonotonicInstant(milliseconds: 0), wall: Timestamp(millisecondsSinceEpoch: 0)))
        #expect(output.isEmpty)
    }
}

@Suite("Changes only")
struct ChangesOnlyTests {
    @Test("repeating a state, a heartbeat or an idle publishes nothing")
    func repeatsAreSilent() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .online, session: "s1", platform: "web")
        #expect(try h.state("alice", "phone", .online, session: "s1", platform: "web").isEmpty)
        #expect(try h.heartbeat("alice", "phone", session: "s1").isEmpty)
        #expect(try h.activity("alice", "phone", nil).isEmpty)
        #expect(try h.state("alice", "phone", .online, session: "s2", platform: "web").viewChanges.isEmpty,
                "a new session shows nothing (it is only a durable fact)")
    }

    @Test("a change invisible to a viewer is not published to it")
    func invisibleChangeNotPublished() throws {
        var h = Harness()
        h.watch("carol", ["alice"])
        h.contacts("bob", ["alice"])
        h.contacts("alice", ["bob"])
        try h.state("alice", "phone", .online)
        let output = try h.activity("alice", "phone", Activity(kind: .typing))
        #expect(output.keys == [ViewKey(viewer: "alice", target: "alice"), ViewKey(viewer: "bob", target: "alice")])
    }
}

import PresenceCore
import Testing

@Suite("Several devices aggregate into one status")
struct AggregationTests {
    @Test("online beats away beats offline")
    func onlineBeatsAway() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "phone", .away, session: "p")
        #expect(h.view("bob", of: "alice")?.status == .away)
        try h.state("alice", "laptop", .online, session: "l")
        #expect(h.view("bob", of: "alice")?.status == .online)
        try h.state("alice", "laptop", .offline, session: "l")
        #expect(h.view("bob", of: "alice")?.status == .away)
        try h.state("alice", "phone", .offline, session: "p")
        #expect(h.view("bob", of: "alice")?.status == .offline)
        #expect(h.view("bob", of: "alice")?.devices == [])
    }

    @Test("devices are listed sorted by id with their platform and status")
    func devicesAreSorted() throws {
        var h = Harness()
        h.contacts("bob", ["alice"])
        try h.state("alice", "web", .online, platform: "web")
        try h.state("alice", "desk", .away)
        #expect(h.view("bob", of: "alice")?.devices == [
            DeviceView(id: "desk", platform: nil, status: .away),
            DeviceView(id: "web", platform: "web", status: .online),
        ])
    }

    @Test("a user never seen shows offline with no devices to a viewer allowed to see it")
    func neverSeenUserIsOffline() {
        var h = Harness()
        let output = h.contacts("bob", ["alice"])
        #expect(output.keys == [ViewKey(viewer: "bob", target: "bob"), ViewKey(viewer: "bob", target: "alice")])
        #expect(h.view("bob", of: "alice") == View(user: "alice", status: .offline, devices: []))
    }
}

@Suite("At most 16 devices per user")
struct DeviceLimitTests {
    @Test("a 17th device that is not offline is rejected and changes nothing")
    func seventeenthDeviceIsRejected() throws {
        var h = Harness()
        for n in 1...16 { try h.state("alice", DeviceID("d\(n)")!, .online) }
        let before = h.engine.view(of: "alice", for: "alice")
        #expect(throws: InputRejection(.tooManyDevices, "user already has 16 devices; device 'd17' rejected", user: UserID("alice"))) {
            try h.state("alice", "d17", .online)
        }
        #expect(h.engine.view(of: "alice", for: "alice") == before)
        #expect(h.engine.statistics.devicesNotOffline == 16)
    }

    @Test("offline devices make room, oldest first, so cycling device ids never locks a user out")
    func offlineDevicesAreEvicted() throws {
        var h = Harness()
        for n in 1...200 {
            try h.state("alice", DeviceID("d\(n)")!, .online)
            try h.state("alice", DeviceID("d\(n)")!, .offline)
        }
        for n in 1...15 { try h.state("alice", DeviceID("k\(n)")!, .online) }
        try h.state("alice", "last", .online)
        #expect(h.engine.statistics.devicesNotOffline == 16)
        #expect(h.view("alice", of: "alice")?.devices?.count == 16)
    }

    @Test("an offline device for an unknown device id needs no room")
    func offlineOfUnknownDevice() throws {
        var h = Harness()
        for n in 1...16 { try h.state("alice", DeviceID("d\(n)")!, .online) }
        try h.state("alice", "other", .offline, session: "x", lost: true)
        #expect(h.engine.statistics.devicesNotOffline == 16)
    }
}

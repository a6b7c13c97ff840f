import BridgeTestSupport
import Foundation
import PresenceCore
import Testing
@testable import PresenceBridge

@Suite("The SQLite store")
struct PresenceStoreTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func id(_ text: String) -> UserID { UserID(text)! }
    private func time(_ ms: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: ms) }

    @Test("facts written in a batch are there after reopening the file")
    func roundTrip() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = PrivacySettings(showOnlineStatus: .contacts, showLastSeen: .nobody, showActivity: .everyone)
        do {
            let store = try PresenceStore(directory: directory)
            try store.write([
                .lastSeen(id("alice"), time(1000)),
                .settings(id("alice"), settings),
                .contacts(id("alice"), [id("bob"), id("carol")]),
                .blocked(id("alice"), [id("mallory")]),
                .watch(id("bob"), [id("alice")]),
            ])
        }
        let users = try PresenceStore(directory: directory).load().sorted { $0.user < $1.user }
        #expect(users == [
            StoredUser(user: id("alice"), lastSeen: time(1000), settings: settings,
                       contacts: [id("bob"), id("carol")], blocked: [id("mallory")], watch: []),
            StoredUser(user: id("bob"), lastSeen: nil, settings: nil, contacts: [], blocked: [], watch: [id("alice")]),
        ])
    }

    @Test("a last-seen time never moves backwards, and a cleared list stays cleared")
    func lastSeenOnlyForwards() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try PresenceStore(directory: directory)
        try store.write([.lastSeen(id("alice"), time(5000)), .contacts(id("alice"), [id("bob")])])
        try store.write([.lastSeen(id("alice"), time(4000)), .contacts(id("alice"), [])])
        let alice = try #require(try store.load().first)
        #expect(alice.lastSeen == time(5000))
        #expect(alice.contacts.isEmpty)
    }

    @Test("devices lost by liveness are kept until found, also for users with no other fact")
    func lostDevices() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try PresenceStore(directory: directory)
        let phone = LostDevice(device: DeviceID("phone")!, session: "s1", status: .away)
        let tablet = LostDevice(device: DeviceID("tablet")!, session: "t1", status: .online)
        try store.write([.deviceLost(id("alice"), phone), .deviceLost(id("alice"), tablet), .lastSeen(id("bob"), time(1))])
        try store.write([.deviceFound(id("alice"), DeviceID("tablet")!)])
        let users = try store.load()
        #expect(users.first { $0.user == id("alice") }?.lostDevices == [phone])
        #expect(users.first { $0.user == id("bob") }?.lostDevices == [])
    }

    @Test("the presence snapshot of a clean shutdown is read once")
    func presenceSnapshotIsTakenOnce() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let snapshot = [
            PresenceSnapshot(user: id("alice"), latestLive: time(42), devices: [
                DeviceSnapshot(device: DeviceID("phone")!, status: .online, session: "s1", platform: "mobile"),
                DeviceSnapshot(device: DeviceID("web")!, status: .invisible, session: nil, platform: nil),
            ]),
            PresenceSnapshot(user: id("bob"), latestLive: nil, devices: [
                DeviceSnapshot(device: DeviceID("tv")!, status: .away, session: "t", platform: nil),
            ]),
        ]
        try PresenceStore(directory: directory).savePresenceSnapshot(snapshot)
        let store = try PresenceStore(directory: directory)
        #expect(try store.takePresenceSnapshot() == snapshot)
        #expect(try store.takePresenceSnapshot().isEmpty)
    }

    @Test("an unreadable folder is a clear error, not a crash")
    func unreadableFolder() {
        #expect(throws: StoreError.self) { try PresenceStore(directory: "/proc/no-such-folder") }
    }
}

import BridgeTestSupport
import LocalBroker
import CSQLite
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

    @Test("the write-ahead log is copied into the database by the checkpoint thread, not by a commit")
    func checkpointOffTheWriter() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try PresenceStore(directory: directory)
        let databaseFile = directory + "/presence.sqlite"
        func size(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let before = size(databaseFile)
        // About 6 MB of log: past the 1000 pages (4 MB) at which the checkpoint is asked for.
        let long = (0..<2000).map { id("u\($0)") }
        for batch in 0..<60 {
            try store.write((0..<20).map { .contacts(id("user\(batch)-\($0)"), long) })
        }
        #expect(size(databaseFile + "-wal") > 4_000_000, "the commits only appended to the log")
        try await waitUntil("the checkpoint thread copied the log into the database") { size(databaseFile) > before + 4_000_000 }
        #expect(try store.load().count == 1200)
    }

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
        let phone = LostDevice(device: DeviceID("phone")!, session: "s1", status: .away, platform: "mobile")
        let tablet = LostDevice(device: DeviceID("tablet")!, session: "t1", status: .online)
        try store.write([.deviceLost(id("alice"), phone), .deviceLost(id("alice"), tablet), .lastSeen(id("bob"), time(1))])
        try store.write([.deviceFound(id("alice"), DeviceID("tablet")!)])
        let users = try store.load()
        #expect(users.first { $0.user == id("alice") }?.lostDevices == [phone])
        #expect(users.first { $0.user == id("bob") }?.lostDevices == [])
    }

    @Test("present devices are kept as they change, with their sessions, and the latest live message at shutdown")
    func presentDevices() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let phone = DeviceSnapshot(device: DeviceID("phone")!, status: .online, session: "s2", platform: "mobile")
        let web = DeviceSnapshot(device: DeviceID("web")!, status: .invisible, session: nil, platform: nil)
        do {
            let store = try PresenceStore(directory: directory)
            try store.write([.devicePresent(id("alice"), phone), .devicePresent(id("alice"), web),
                             .devicePresent(id("bob"), DeviceSnapshot(device: DeviceID("tv")!, status: .away, session: "t", platform: nil))])
            try store.write([.deviceAbsent(id("bob"), DeviceID("tv")!), .seenLive(id("alice"), time(7)), .seenLive(id("alice"), time(5))])
        }
        #expect(try PresenceStore(directory: directory).loadPresence() == [
            PresenceSnapshot(user: id("alice"), latestLive: time(7), devices: [phone, web]),
        ], "kept without a clean shutdown: a crash loses no device's session, nor the latest live state change")
        try PresenceStore(directory: directory).savePresence([PresenceSnapshot(user: id("alice"), latestLive: time(42), devices: [phone])])
        #expect(try PresenceStore(directory: directory).loadPresence() == [
            PresenceSnapshot(user: id("alice"), latestLive: time(42), devices: [phone]),
        ])
    }

    @Test("ids keep their numbers, and the views record and its sequence survive reopening")
    func viewsRecord() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let epoch: UInt64
        do {
            let store = try PresenceStore(directory: directory)
            epoch = store.epoch
            #expect(epoch != 0 && store.sequence == 0 && store.storedIDs == 0)
            try store.writeBatch([], ids: [id("alice"), id("bob")], views: [
                ViewRecord(viewer: 1, target: 0, digest: 7, sequence: 1),
                ViewRecord(viewer: 0, target: 0, digest: 9, sequence: 1),
            ], sequence: 1)
            try store.writeBatch([.lastSeen(id("carol"), time(5))], ids: [id("carol")], views: [
                ViewRecord(viewer: 1, target: 0, digest: ViewDigest.deleted, sequence: 2),
                ViewRecord(viewer: 2, target: 0, digest: 3, sequence: 2),
            ], sequence: 2, inputs: [AppliedInput(user: 2, kind: 1, digest: 11), AppliedInput(user: 2, kind: 1, digest: 12)])
        }
        let store = try PresenceStore(directory: directory)
        #expect(store.epoch == epoch && store.sequence == 2 && store.storedIDs == 3)
        #expect(try store.loadIndices() == [id("alice"), id("bob"), id("carol")])
        #expect(try store.loadAppliedInputs() == [AppliedInput(user: 2, kind: 1, digest: 12)], "the payload last applied")
        var rows: [ViewRecord] = []
        let cursor = try store.viewRecords()
        while let row = try cursor.next() { rows.append(row) }
        #expect(rows == [
            ViewRecord(viewer: 0, target: 0, digest: 9, sequence: 1),
            ViewRecord(viewer: 1, target: 0, digest: ViewDigest.deleted, sequence: 2),
            ViewRecord(viewer: 2, target: 0, digest: 3, sequence: 2),
        ], "in key order, the latest row of each view")
        #expect(try store.pruneTombstones(through: 1) == 0, "a tombstone of a later batch stays")
        #expect(try store.pruneTombstones(through: 2) == 1)
        #expect(try store.viewRecordCount() == 2)
    }

    @Test("a batch that fails writes nothing and leaves the counters alone")
    func failedBatchIsAtomic() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try PresenceStore(directory: directory)
        try store.writeBatch([], ids: [id("alice")], views: [], sequence: nil)
        // Numbering alice twice breaks the id table's uniqueness: the whole batch must go.
        store.storedIDs = 0
        #expect(throws: StoreError.self) {
            try store.writeBatch([.lastSeen(id("bob"), time(1))], ids: [id("alice")],
                                 views: [ViewRecord(viewer: 0, target: 0, digest: 1, sequence: 1)], sequence: 1)
        }
        #expect(store.sequence == 0)
        #expect(try store.load().contains { $0.user == id("bob") } == false)
        #expect(try store.viewRecordCount() == 0)
    }

    @Test("a version 3 store is migrated: its facts and shutdown snapshot kept, the views record added")
    func migratesVersion3() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try sqlite(directory, """
            CREATE TABLE users (user TEXT PRIMARY KEY, last_seen INTEGER, show_online_status TEXT, show_last_seen TEXT,
                show_activity TEXT, contacts TEXT, blocked TEXT, watch TEXT) WITHOUT ROWID;
            CREATE TABLE lost_devices (user TEXT NOT NULL, device TEXT NOT NULL, session TEXT NOT NULL, status TEXT NOT NULL,
                PRIMARY KEY (user, device)) WITHOUT ROWID;
            CREATE TABLE presence_snapshot (user TEXT NOT NULL, device TEXT NOT NULL, status TEXT NOT NULL, session TEXT,
                platform TEXT, latest_live INTEGER, PRIMARY KEY (user, device)) WITHOUT ROWID;
            INSERT INTO users(user, last_seen, contacts) VALUES('alice', 1000, 'bob carol');
            INSERT INTO presence_snapshot VALUES('alice', 'phone', 'online', 's1', 'mobile', 2000);
            PRAGMA user_version=3;
            """)
        let store = try PresenceStore(directory: directory)
        #expect(try store.load() == [StoredUser(user: id("alice"), lastSeen: time(1000), contacts: [id("bob"), id("carol")])])
        #expect(try store.loadPresence() == [PresenceSnapshot(user: id("alice"), latestLive: time(2000), devices: [
            DeviceSnapshot(device: DeviceID("phone")!, status: .online, session: "s1", platform: "mobile"),
        ])])
        #expect(store.epoch != 0 && store.sequence == 0)
    }

    @Test("a store written by a newer bridge is refused, not rewritten")
    func refusesNewerSchema() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try sqlite(directory, "PRAGMA user_version=99;")
        #expect(throws: StoreError.self) { try PresenceStore(directory: directory) }
    }

    /// Runs SQL on the store's file through a connection of its own.
    private func sqlite(_ directory: String, _ sql: String) throws {
        var database: OpaquePointer?
        defer { sqlite3_close(database) }
        try #require(sqlite3_open(directory + "/presence.sqlite", &database) == SQLITE_OK)
        try #require(sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK)
    }

    @Test("an unreadable folder is a clear error, not a crash")
    func unreadableFolder() {
        #expect(throws: StoreError.self) { try PresenceStore(directory: "/proc/no-such-folder") }
    }
}

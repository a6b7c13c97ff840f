import CSQLite
import PresenceCore

/// The durable facts (last seen, settings, contacts, blocked, watch, devices lost by liveness)
/// in one SQLite file.
///
/// One row per user in `users`, one per lost device in `lost_devices`; `presence_snapshot`
/// holds the present devices written at a clean shutdown and read once at the next start. Writes come in batches, one transaction each, in WAL mode with
/// `synchronous=NORMAL`: a committed batch survives the process being killed, which is what
/// "a last-seen time is stored before any view that shows it is published" needs. Last-seen
/// times only move forwards, in SQL too (`max`). Owned by the bridge's single writer: not Sendable.
final class PresenceStore {
    private var database: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    let path: String

    /// Opens (creating if needed) `presence.sqlite` in `directory`.
    init(directory: String) throws(StoreError) {
        path = directory.hasSuffix("/") ? directory + "presence.sqlite" : directory + "/presence.sqlite"
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        database = handle
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            database = nil
            throw StoreError("cannot open \(path): \(message)")
        }
        try execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS users (
                user TEXT PRIMARY KEY,
                last_seen INTEGER,
                show_online_status TEXT,
                show_last_seen TEXT,
                show_activity TEXT,
                contacts TEXT,
                blocked TEXT,
                watch TEXT
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS lost_devices (
                user TEXT NOT NULL,
                device TEXT NOT NULL,
                session TEXT NOT NULL,
                status TEXT NOT NULL,
                PRIMARY KEY (user, device)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS presence_snapshot (
                user TEXT NOT NULL,
                device TEXT NOT NULL,
                status TEXT NOT NULL,
                session TEXT,
                platform TEXT,
                latest_live INTEGER,
                PRIMARY KEY (user, device)
            ) WITHOUT ROWID;
            PRAGMA user_version=3;
            """)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(database)
    }

    /// Every stored user, for `PresenceEngine.restore`.
    func load() throws(StoreError) -> [StoredUser] {
        let statement = try prepare("SELECT user, last_seen, show_online_status, show_last_seen, show_activity, contacts, blocked, watch FROM users")
        defer { sqlite3_reset(statement) }
        var users: [StoredUser] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw lastError("reading users") }
            guard let user = UserID(text(statement, 0) ?? "") else { continue }
            let lastSeen = sqlite3_column_type(statement, 1) == SQLITE_NULL
                ? nil : Timestamp(millisecondsSinceEpoch: sqlite3_column_int64(statement, 1))
            var settings: PrivacySettings?
            if let online = text(statement, 2).flatMap(Audience.init(rawValue:)),
               let lastSeenAudience = text(statement, 3).flatMap(Audience.init(rawValue:)),
               let activity = text(statement, 4).flatMap(Audience.init(rawValue:)) {
                settings = PrivacySettings(showOnlineStatus: online, showLastSeen: lastSeenAudience, showActivity: activity)
            }
            users.append(StoredUser(
                user: user, lastSeen: lastSeen, settings: settings,
                contacts: ids(text(statement, 5)), blocked: ids(text(statement, 6)), watch: ids(text(statement, 7))
            ))
        }
        var lost = try loadLostDevices()
        for index in users.indices {
            users[index].lostDevices = lost.removeValue(forKey: users[index].user) ?? []
        }
        for (user, devices) in lost {
            users.append(StoredUser(user: user, lostDevices: devices))
        }
        return users
    }

    private func loadLostDevices() throws(StoreError) -> [UserID: [LostDevice]] {
        let statement = try prepare("SELECT user, device, session, status FROM lost_devices")
        defer { sqlite3_reset(statement) }
        var lost: [UserID: [LostDevice]] = [:]
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw lastError("reading lost devices") }
            guard let user = UserID(text(statement, 0) ?? ""), let device = DeviceID(text(statement, 1) ?? ""),
                  let session = text(statement, 2), let status = text(statement, 3).flatMap(DeviceStatus.init(rawValue:))
            else { continue }
            lost[user, default: []].append(LostDevice(device: device, session: session, status: status))
        }
        return lost
    }

    /// Replaces the presence snapshot (at a clean shutdown).
    func savePresenceSnapshot(_ snapshot: [PresenceSnapshot]) throws(StoreError) {
        try execute("BEGIN IMMEDIATE")
        do {
            try execute("DELETE FROM presence_snapshot")
            let statement = try prepare("""
                INSERT OR REPLACE INTO presence_snapshot(user, device, status, session, platform, latest_live)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                """)
            for presence in snapshot {
                for device in presence.devices {
                    bind(statement, 1, presence.user.rawValue)
                    bind(statement, 2, device.device.rawValue)
                    bind(statement, 3, device.status.rawValue)
                    bindOptional(statement, 4, device.session)
                    bindOptional(statement, 5, device.platform)
                    if let latest = presence.latestLive {
                        sqlite3_bind_int64(statement, 6, latest.millisecondsSinceEpoch)
                    } else {
                        sqlite3_bind_null(statement, 6)
                    }
                    try run(statement)
                }
            }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Reads the presence snapshot and deletes it: it describes the moment of the last clean
    /// shutdown, and is worth nothing after a later crash.
    func takePresenceSnapshot() throws(StoreError) -> [PresenceSnapshot] {
        let statement = try prepare("SELECT user, device, status, session, platform, latest_live FROM presence_snapshot ORDER BY user, device")
        var byUser: [(UserID, PresenceSnapshot)] = []
        do {
            defer { sqlite3_reset(statement) }
            while true {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { break }
                guard step == SQLITE_ROW else { throw lastError("reading the presence snapshot") }
                guard let user = UserID(text(statement, 0) ?? ""), let device = DeviceID(text(statement, 1) ?? ""),
                      let status = text(statement, 2).flatMap(DeviceStatus.init(rawValue:)) else { continue }
                let latest = sqlite3_column_type(statement, 5) == SQLITE_NULL
                    ? nil : Timestamp(millisecondsSinceEpoch: sqlite3_column_int64(statement, 5))
                let snapshot = DeviceSnapshot(device: device, status: status, session: text(statement, 3), platform: text(statement, 4))
                if let last = byUser.last, last.0 == user {
                    byUser[byUser.count - 1].1.devices.append(snapshot)
                } else {
                    byUser.append((user, PresenceSnapshot(user: user, latestLive: latest, devices: [snapshot])))
                }
            }
        }
        try execute("DELETE FROM presence_snapshot")
        return byUser.map(\.1)
    }

    /// Writes a batch of changes in one transaction; nothing of it is written if any part fails.
    func write(_ changes: [DurableChange]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        try execute("BEGIN IMMEDIATE")
        do {
            for change in changes { try write(change) }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func write(_ change: DurableChange) throws(StoreError) {
        switch change {
        case .lastSeen(let user, let time):
            let statement = try prepare("""
                INSERT INTO users(user, last_seen) VALUES(?1, ?2)
                ON CONFLICT(user) DO UPDATE SET last_seen = max(coalesce(last_seen, ?2), ?2)
                """)
            bind(statement, 1, user.rawValue)
            sqlite3_bind_int64(statement, 2, time.millisecondsSinceEpoch)
            try run(statement)
        case .settings(let user, let settings):
            let statement = try prepare("""
                INSERT INTO users(user, show_online_status, show_last_seen, show_activity) VALUES(?1, ?2, ?3, ?4)
                ON CONFLICT(user) DO UPDATE SET show_online_status = ?2, show_last_seen = ?3, show_activity = ?4
                """)
            bind(statement, 1, user.rawValue)
            bind(statement, 2, settings.showOnlineStatus.rawValue)
            bind(statement, 3, settings.showLastSeen.rawValue)
            bind(statement, 4, settings.showActivity.rawValue)
            try run(statement)
        case .contacts(let user, let list): try writeList("contacts", user, list)
        case .blocked(let user, let list): try writeList("blocked", user, list)
        case .watch(let user, let list): try writeList("watch", user, list)
        case .deviceLost(let user, let lost):
            let statement = try prepare("INSERT OR REPLACE INTO lost_devices(user, device, session, status) VALUES(?1, ?2, ?3, ?4)")
            bind(statement, 1, user.rawValue)
            bind(statement, 2, lost.device.rawValue)
            bind(statement, 3, lost.session)
            bind(statement, 4, lost.status.rawValue)
            try run(statement)
        case .deviceFound(let user, let device):
            let statement = try prepare("DELETE FROM lost_devices WHERE user = ?1 AND device = ?2")
            bind(statement, 1, user.rawValue)
            bind(statement, 2, device.rawValue)
            try run(statement)
        }
    }

    private func writeList(_ column: String, _ user: UserID, _ list: [UserID]) throws(StoreError) {
        let statement = try prepare("""
            INSERT INTO users(user, \(column)) VALUES(?1, ?2)
            ON CONFLICT(user) DO UPDATE SET \(column) = ?2
            """)
        bind(statement, 1, user.rawValue)
        // Ids never contain spaces, so a space-separated text is an exact encoding.
        bind(statement, 2, list.map(\.rawValue).joined(separator: " "))
        try run(statement)
    }

    // MARK: - SQLite plumbing

    private func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(database, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw StoreError("\(path): \(text)")
        }
    }

    private func prepare(_ sql: String) throws(StoreError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw lastError("preparing a statement")
        }
        statements[sql] = statement
        return statement
    }

    private func run(_ statement: OpaquePointer) throws(StoreError) {
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw lastError("writing") }
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: String) {
        sqlite3_bind_text(statement, index, value, -1, csqlite_transient())
    }

    private func bindOptional(_ statement: OpaquePointer, _ index: Int32, _ value: String?) {
        if let value { bind(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    private func text(_ statement: OpaquePointer, _ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: pointer)
    }

    private func ids(_ text: String?) -> [UserID] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: " ").compactMap { UserID($0) }
    }

    private func lastError(_ doing: String) -> StoreError {
        StoreError("\(path): \(doing): \(String(cString: sqlite3_errmsg(database)))")
    }
}

/// A failure of the durable store, with SQLite's own words.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

import CSQLite
import PresenceCore

/// The durable facts (last seen, settings, contacts, blocked, watch, present devices, devices
/// lost by liveness) and the record of published views, in one SQLite file.
///
/// One row per user in `users`, one per present device in `devices` (kept as devices change, so a
/// crash loses no device's current session), one per lost device in `lost_devices`; the views
/// record is in `PresenceStore+Views.swift`. Writes come in batches, one transaction each, in WAL
/// mode with `synchronous=NORMAL`: a committed batch survives the process being killed, which is
/// what "a last-seen time is stored before any view that shows it is published" needs. Last-seen
/// times only move forwards, in SQL too (`max`). Owned by the bridge's single writer: not Sendable.
final class PresenceStore {
    var database: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    let path: String
    /// Random, made with a new store: a checkpoint of another epoch describes another store.
    private(set) var epoch: UInt64 = 0
    /// The latest batch whose views were recorded (0: none yet). Set by the store's writes only.
    var sequence: Int64 = 0
    /// The next number `ids` gives: numbers are `0..<storedIDs`, without those of forgotten
    /// users until another id takes them. Set by the store's writes only.
    var storedIDs = 0
    /// Checkpoints the log off the writer's thread (`WALCheckpointer`).
    private var checkpointer: WALCheckpointer?
    /// This process's hold on the data folder (`DataFolderLock`).
    private var lock: DataFolderLock?

    /// Opens (creating if needed) `presence.sqlite` in `directory`, migrating an older schema.
    init(directory: String) throws(StoreError) {
        path = directory.hasSuffix("/") ? directory + "presence.sqlite" : directory + "/presence.sqlite"
        lock = try DataFolderLock(directory: directory)
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        database = handle
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            database = nil
            throw StoreError("cannot open \(path): \(message)", code: code)
        }
        try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;")
        let checkpointer = WALCheckpointer(path: path)
        self.checkpointer = checkpointer
        // After each commit: past `pages` log pages, the checkpointer's thread takes over.
        sqlite3_wal_hook(handle, { context, _, _, pages in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if pages >= checkpointer.pages { checkpointer.request() }
            return SQLITE_OK
        }, Unmanaged.passUnretained(checkpointer).toOpaque())
        try migrate()
        epoch = UInt64(bitPattern: try metaValue("epoch") ?? 0)
        sequence = try metaValue("sequence") ?? 0
        storedIDs = Int(try scalar("SELECT coalesce(max(id) + 1, 0) FROM ids") ?? 0)
    }

    /// Brings the schema to `StoreSchema.version`, one step per version, in one transaction;
    /// a new store gets the latest schema and a new epoch.
    private func migrate() throws(StoreError) {
        let found = Int32(try scalar("PRAGMA user_version") ?? 0)
        guard found <= StoreSchema.version else {
            throw StoreError("\(path): schema version \(found) is newer than this bridge's \(StoreSchema.version); use a newer bridge")
        }
        guard found < StoreSchema.version else { return }
        try transaction { () throws(StoreError) in
            if found == 0 {
                try execute(StoreSchema.latest)
            } else {
                for step in found..<StoreSchema.version {
                    try execute(StoreSchema.migrations[step] ?? "")
                }
            }
            if try metaValue("epoch") == nil {
                var generator = SystemRandomNumberGenerator()
                try setMeta("epoch", Int64(bitPattern: generator.next() | 1))
            }
            try execute("PRAGMA user_version=\(StoreSchema.version)")
        }
    }

    deinit {
        if let database { sqlite3_wal_hook(database, nil, nil) }
        checkpointer?.stop()
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(database)  // the last connection: SQLite checkpoints the log and removes it
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
        let statement = try prepare("SELECT user, device, session, status, platform FROM lost_devices")
        defer { sqlite3_reset(statement) }
        var lost: [UserID: [LostDevice]] = [:]
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw lastError("reading lost devices") }
            guard let user = UserID(text(statement, 0) ?? ""), let device = DeviceID(text(statement, 1) ?? ""),
                  let session = text(statement, 2), let status = text(statement, 3).flatMap(DeviceStatus.init(rawValue:))
            else { continue }
            lost[user, default: []].append(LostDevice(device: device, session: session, status: status, platform: text(statement, 4)))
        }
        return lost
    }

    /// The user ids in their stored numbering, for `PresenceEngine.restoreIndices`.
    func loadIndices() throws(StoreError) -> [UserID?] {
        let statement = try prepare("SELECT id, user FROM ids ORDER BY id")
        defer { sqlite3_reset(statement) }
        var ids: [UserID?] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw lastError("reading ids") }
            let number = sqlite3_column_int64(statement, 0)
            guard number >= Int64(ids.count), number < Int64(Int32.max), let id = UserID(text(statement, 1) ?? "") else {
                throw StoreError("\(path): the id table holds a number out of order or an invalid id")
            }
            while Int64(ids.count) < number { ids.append(nil) }  // a forgotten user's number, free
            ids.append(id)
        }
        return ids
    }

    /// The present devices with each user's latest live message, for `PresenceEngine.restorePresence`.
    func loadPresence() throws(StoreError) -> [PresenceSnapshot] {
        let statement = try prepare("""
            SELECT d.user, d.device, d.status, d.session, d.platform, u.latest_live
            FROM devices d LEFT JOIN users u ON u.user = d.user ORDER BY d.user, d.device
            """)
        defer { sqlite3_reset(statement) }
        var presence: [PresenceSnapshot] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw lastError("reading devices") }
            guard let user = UserID(text(statement, 0) ?? ""), let device = DeviceID(text(statement, 1) ?? ""),
                  let status = text(statement, 2).flatMap(DeviceStatus.init(rawValue:)) else { continue }
            let latest = sqlite3_column_type(statement, 5) == SQLITE_NULL
                ? nil : Timestamp(millisecondsSinceEpoch: sqlite3_column_int64(statement, 5))
            let snapshot = DeviceSnapshot(device: device, status: status, session: text(statement, 3), platform: text(statement, 4))
            if let last = presence.last, last.user == user {
                presence[presence.count - 1].devices.append(snapshot)
            } else {
                presence.append(PresenceSnapshot(user: user, latestLive: latest, devices: [snapshot]))
            }
        }
        return presence
    }

    /// Writes the present devices as they are and each user's latest live message (at a clean
    /// shutdown: the next start then knows the last heartbeat before the gap).
    func savePresence(_ snapshot: [PresenceSnapshot]) throws(StoreError) {
        try transaction { () throws(StoreError) in
            try execute("DELETE FROM devices")
            for presence in snapshot {
                for device in presence.devices { try write(.devicePresent(presence.user, device)) }
                if let time = presence.latestLive { try write(.seenLive(presence.user, time)) }
            }
        }
    }

    /// Writes a batch of changes in one transaction; nothing of it is written if any part fails.
    func write(_ changes: [DurableChange]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        try transaction { () throws(StoreError) in
            for change in changes { try write(change) }
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, rolled back whole if it throws.
    func transaction(_ body: () throws(StoreError) -> Void) throws(StoreError) {
        try execute("BEGIN IMMEDIATE")
        do {
            try body()
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    func write(_ change: DurableChange) throws(StoreError) {
        switch change {
        case .lastSeen(let user, let time):
            try raise("last_seen", of: user, to: time)
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
            let statement = try prepare("INSERT OR REPLACE INTO lost_devices(user, device, session, status, platform) VALUES(?1, ?2, ?3, ?4, ?5)")
            bind(statement, 1, user.rawValue)
            bind(statement, 2, lost.device.rawValue)
            bind(statement, 3, lost.session)
            bind(statement, 4, lost.status.rawValue)
            bindOptional(statement, 5, lost.platform)
            try run(statement)
        case .deviceFound(let user, let device):
            try deleteDevice(device, of: user, from: "lost_devices")
        case .devicePresent(let user, let device):
            let statement = try prepare("INSERT OR REPLACE INTO devices(user, device, status, session, platform) VALUES(?1, ?2, ?3, ?4, ?5)")
            bind(statement, 1, user.rawValue)
            bind(statement, 2, device.device.rawValue)
            bind(statement, 3, device.status.rawValue)
            bindOptional(statement, 4, device.session)
            bindOptional(statement, 5, device.platform)
            try run(statement)
        case .seenLive(let user, let time):
            try raise("latest_live", of: user, to: time)
        case .deviceAbsent(let user, let device):
            try deleteDevice(device, of: user, from: "devices")
        }
    }

    /// Sets a time column of `users` to `time` unless it already holds a later one: stored
    /// times only move forwards.
    private func raise(_ column: String, of user: UserID, to time: Timestamp) throws(StoreError) {
        let statement = try prepare("""
            INSERT INTO users(user, \(column)) VALUES(?1, ?2)
            ON CONFLICT(user) DO UPDATE SET \(column) = max(coalesce(\(column), ?2), ?2)
            """)
        bind(statement, 1, user.rawValue)
        sqlite3_bind_int64(statement, 2, time.millisecondsSinceEpoch)
        try run(statement)
    }

    private func deleteDevice(_ device: DeviceID, of user: UserID, from table: String) throws(StoreError) {
        let statement = try prepare("DELETE FROM \(table) WHERE user = ?1 AND device = ?2")
        bind(statement, 1, user.rawValue)
        bind(statement, 2, device.rawValue)
        try run(statement)
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

    func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(database, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw StoreError("\(path): \(text)")
        }
    }

    func prepare(_ sql: String) throws(StoreError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw lastError("preparing a statement")
        }
        statements[sql] = statement
        return statement
    }

    func run(_ statement: OpaquePointer) throws(StoreError) {
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw lastError("writing") }
    }

    func bind(_ statement: OpaquePointer, _ index: Int32, _ value: String) {
        sqlite3_bind_text(statement, index, value, -1, csqlite_transient())
    }

    func bindOptional(_ statement: OpaquePointer, _ index: Int32, _ value: String?) {
        if let value { bind(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    func text(_ statement: OpaquePointer, _ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: pointer)
    }

    private func ids(_ text: String?) -> [UserID] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: " ").compactMap { UserID($0) }
    }

    func lastError(_ doing: String) -> StoreError {
        StoreError("\(path): \(doing): \(String(cString: sqlite3_errmsg(database)))", code: sqlite3_extended_errcode(database))
    }

    /// The first column of the first row of `sql`, nil when there is none or it is NULL.
    func scalar(_ sql: String) throws(StoreError) -> Int64? {
        let statement = try prepare(sql)
        defer { sqlite3_reset(statement) }
        let step = sqlite3_step(statement)
        if step == SQLITE_DONE { return nil }
        guard step == SQLITE_ROW else { throw lastError("reading") }
        return sqlite3_column_type(statement, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, 0)
    }

    func metaValue(_ key: String) throws(StoreError) -> Int64? {
        let exists = try scalar("SELECT count(*) FROM sqlite_master WHERE name = 'meta'") ?? 0
        guard exists > 0 else { return nil }
        let statement = try prepare("SELECT value FROM meta WHERE key = ?1")
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        bind(statement, 1, key)
        let step = sqlite3_step(statement)
        if step == SQLITE_DONE { return nil }
        guard step == SQLITE_ROW else { throw lastError("reading \(key)") }
        return sqlite3_column_int64(statement, 0)
    }

    func setMeta(_ key: String, _ value: Int64) throws(StoreError) {
        let statement = try prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)")
        bind(statement, 1, key)
        sqlite3_bind_int64(statement, 2, value)
        try run(statement)
    }
}

/// A failure of the durable store, with SQLite's own words and, where SQLite gave one, its
/// extended result code (`SQLITE_FULL` = 13, `SQLITE_READONLY` = 8, …).
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// SQLite's extended result code; nil for a failure the store itself found.
    public var sqliteCode: Int32?
    init(_ description: String, code: Int32? = nil) {
        self.description = description
        sqliteCode = code
    }
}

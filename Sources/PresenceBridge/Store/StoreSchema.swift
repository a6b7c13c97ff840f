/// The store's schema and its versioned migrations, read from and written to SQLite's
/// `user_version`.
///
/// Version 0 is a new file: it gets the latest schema at once. Each older version is brought
/// forward one step at a time in the transaction that opens the store; a file written by a
/// newer bridge than this one is refused, never rewritten.
enum StoreSchema {
    static let version: Int32 = 7

    /// The schema of a new store.
    static let latest = """
        CREATE TABLE users (
            user TEXT PRIMARY KEY,
            last_seen INTEGER,
            show_online_status TEXT,
            show_last_seen TEXT,
            show_activity TEXT,
            contacts TEXT,
            blocked TEXT,
            watch TEXT,
            latest_live INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE lost_devices (
            user TEXT NOT NULL,
            device TEXT NOT NULL,
            session TEXT NOT NULL,
            status TEXT NOT NULL,
            platform TEXT,
            PRIMARY KEY (user, device)
        ) WITHOUT ROWID;
        \(presentDevices)
        \(publishedViews)
        \(appliedInputs)
        """

    /// Steps from version `key` to `key + 1`.
    static let migrations: [Int32: String] = [
        // Versions 1 to 3 created their tables with IF NOT EXISTS: make sure all are there.
        1: "\(version3Tables)",
        2: "\(version3Tables)",
        3: """
            \(version3Tables)
            ALTER TABLE users ADD COLUMN latest_live INTEGER;
            \(presentDevices)
            INSERT OR REPLACE INTO devices(user, device, status, session, platform)
                SELECT user, device, status, session, platform FROM presence_snapshot;
            INSERT INTO users(user, latest_live)
                SELECT user, max(latest_live) FROM presence_snapshot WHERE true GROUP BY user
                ON CONFLICT(user) DO UPDATE SET latest_live = excluded.latest_live;
            DROP TABLE presence_snapshot;
            \(publishedViews)
            """,
        4: "\(appliedInputs)",
        // A device lost by silence comes back with its platform too.
        5: "ALTER TABLE lost_devices ADD COLUMN platform TEXT;",
        // Users nobody names are forgotten once no row names them: find a target's tombstones.
        6: "\(tombstoneTargets)",
    ]

    /// The tombstones by target: a forgotten user's number is freed only once none is left.
    private static let tombstoneTargets = "CREATE INDEX IF NOT EXISTS view_tombstone_targets ON views(target) WHERE digest = 0;"


    /// The digest of the payload last applied for each user's settings and lists (users by
    /// their stored numbers; kind 0-3 = settings, contacts, blocked, watch).
    private static let appliedInputs = """
        CREATE TABLE input_digests (
            user INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            digest INTEGER NOT NULL,
            PRIMARY KEY (user, kind)
        ) WITHOUT ROWID;
        """

    /// The present devices, kept as they change (the device's current session above all).
    private static let presentDevices = """
        CREATE TABLE devices (
            user TEXT NOT NULL,
            device TEXT NOT NULL,
            status TEXT NOT NULL,
            session TEXT,
            platform TEXT,
            PRIMARY KEY (user, device)
        ) WITHOUT ROWID;
        """

    /// The record of what the broker holds: stable user numbers, one row per view published or
    /// deleted (digest 0 = deleted) with the batch that last changed it, and the epoch and
    /// latest batch in `meta`.
    private static let publishedViews = """
        CREATE TABLE ids (
            id INTEGER PRIMARY KEY,
            user TEXT NOT NULL UNIQUE
        );
        CREATE TABLE views (
            viewer INTEGER NOT NULL,
            target INTEGER NOT NULL,
            digest INTEGER NOT NULL,
            sequence INTEGER NOT NULL,
            PRIMARY KEY (viewer, target)
        ) WITHOUT ROWID;
        CREATE INDEX view_tombstones ON views(sequence) WHERE digest = 0;
        \(tombstoneTargets)
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    private static let version3Tables = """
        CREATE TABLE IF NOT EXISTS users (
            user TEXT PRIMARY KEY, last_seen INTEGER, show_online_status TEXT, show_last_seen TEXT,
            show_activity TEXT, contacts TEXT, blocked TEXT, watch TEXT
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS lost_devices (
            user TEXT NOT NULL, device TEXT NOT NULL, session TEXT NOT NULL, status TEXT NOT NULL,
            PRIMARY KEY (user, device)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS presence_snapshot (
            user TEXT NOT NULL, device TEXT NOT NULL, status TEXT NOT NULL, session TEXT, platform TEXT,
            latest_live INTEGER, PRIMARY KEY (user, device)
        ) WITHOUT ROWID;
        """
}

import CSQLite
import Foundation

/// Copies the store's write-ahead log into the database file on a thread of its own, with a
/// connection of its own, so that the writer's commits never wait for it.
///
/// In WAL mode with `synchronous=NORMAL` a commit appends to the log without `fsync`; the
/// checkpoint, which copies the log into the database and syncs both, is where the disk is
/// waited for. SQLite runs it inside whichever commit crosses `wal_autocheckpoint` pages,
/// which put an `fsync` on the path of one batch in a few hundred (the store commit's p99 was
/// 5.8 ms against a median of 0.1 ms, measured). The store turns that off and asks this
/// thread instead (`request()`, from the log hook, when the log passes `pages`); a PASSIVE
/// checkpoint never blocks the writer, and once it has copied every frame the writer's next
/// commit starts the log from its beginning again. (At the end the writer's own connection,
/// the last one to close, checkpoints what is left.)
///
/// `@unchecked Sendable`: `pending` and `stopping` are read and written only under
/// `condition`'s lock; `path` and `pages` are constants.
final class WALCheckpointer: @unchecked Sendable {
    /// Log pages after which a checkpoint is asked for (SQLite's own default is 1000).
    let pages: Int32
    private let path: String
    private let condition = NSCondition()
    private var pending = false
    private var stopping = false
    private let ended = DispatchSemaphore(value: 0)

    init(path: String, pages: Int32 = 1000) {
        self.path = path
        self.pages = pages
        let thread = Thread { [self] in run() }
        thread.name = "store-checkpoint"
        thread.start()
    }

    /// Asks for a checkpoint soon; cheap (the writer's log hook calls it after a commit).
    func request() {
        condition.signal { pending = true }
    }

    /// Ends the thread (after a checkpoint under way) and waits for it.
    func stop() {
        condition.signal { stopping = true }
        ended.wait()
    }

    private func run() {
        defer { ended.signal() }
        while true {
            condition.lock()
            while !pending && !stopping { condition.wait() }
            let stop = stopping
            pending = false
            condition.unlock()
            if stop { return }
            checkpoint()
        }
    }

    /// One PASSIVE checkpoint on a connection opened for it: between checkpoints this thread
    /// holds no file open.
    private func checkpoint() {
        var database: OpaquePointer?
        defer { sqlite3_close(database) }
        guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else { return }
        sqlite3_busy_timeout(database, 1000)
        // A connection knows the file is in WAL mode only once it has read it.
        _ = sqlite3_exec(database, "PRAGMA journal_mode=WAL", nil, nil, nil)
        _ = sqlite3_wal_checkpoint_v2(database, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a data folder (`flock` on `presence.lock` in it), held while the store
/// is open: one bridge process per store. A second bridge started on the same folder fails at
/// once, before it connects, so it never takes the first one's broker session over.
///
/// A separate file, not the database: SQLite's own POSIX locks on a file are dropped when any
/// descriptor of that file is closed. The kernel releases the lock when the process dies.
final class DataFolderLock {
    private let descriptor: Int32

    /// Takes the lock, or throws naming the folder. A folder where the lock file cannot be made
    /// (read-only) is opened without one: SQLite then says what it can do there.
    init?(directory: String) throws(StoreError) {
        let path = directory.hasSuffix("/") ? directory + "presence.lock" : directory + "/presence.lock"
        let descriptor = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            throw StoreError(error == EWOULDBLOCK
                ? "the data folder \(directory) is in use by another bridge process (it holds \(path)): run one bridge per data folder and prefix"
                : "cannot lock \(path): \(String(cString: strerror(error)))")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}

import Foundation

/// A thread of its own for the bridge's single writer, as a task executor: the writer's loop
/// runs on it (`withTaskExecutorPreference`), so that its blocking work, the store's SQLite
/// commit of every batch above all, never holds one of the cooperative pool's threads (two on
/// a 2-core machine), and a batch costs no hop between the inbox and the outbox.
///
/// Jobs run one at a time in the order they were enqueued. `stop()` ends the thread once the
/// jobs enqueued before it have run.
///
/// `@unchecked Sendable`: `jobs` and `stopping` are read and written only under `condition`'s lock.
final class WriterThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false

    /// Starts the thread, named `name` (15 bytes show on Linux).
    init(name: String = "bridge-writer") {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.signal { jobs.append(job) }
    }

    /// Lets the thread end after the jobs queued so far.
    func stop() {
        condition.signal { stopping = true }
    }

    private func run() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            swap(&jobs, &batch)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

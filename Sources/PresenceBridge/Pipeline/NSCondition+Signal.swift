import Foundation

extension NSCondition {
    /// Makes `change` under the lock and wakes one waiter: how a thread of ours is told news.
    func signal(after change: () -> Void) {
        lock()
        change()
        signal()
        unlock()
    }
}

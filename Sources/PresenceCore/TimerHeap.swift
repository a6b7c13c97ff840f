/// What a timer entry is for.
enum TimerKind: UInt8, Sendable, Comparable {
    case liveness
    case grace
    case activity

    static func < (lhs: TimerKind, rhs: TimerKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One pending timer; checked against the device when it pops (lazy invalidation).
struct TimerEntry: Sendable {
    var deadline: Int64
    var kind: TimerKind
    var user: Int32
    var device: UInt32
    /// The activity's sequence for `.activity`, else 0.
    var token: UInt64

    /// Earliest first; ties broken by every field so the order never depends on history.
    @inline(__always)
    static func precedes(_ a: TimerEntry, _ b: TimerEntry) -> Bool {
        if a.deadline != b.deadline { return a.deadline < b.deadline }
        if a.kind != b.kind { return a.kind < b.kind }
        if a.user != b.user { return a.user < b.user }
        if a.device != b.device { return a.device < b.device }
        return a.token < b.token
    }
}

/// A binary min-heap of timer entries: the engine's one timer structure.
struct TimerHeap: Sendable {
    private(set) var entries: [TimerEntry] = []

    var count: Int { entries.count }
    var first: TimerEntry? { entries.first }

    mutating func push(_ entry: TimerEntry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard TimerEntry.precedes(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> TimerEntry? {
        guard let top = entries.first else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return top }
        entries[0] = last
        var parent = 0
        let count = entries.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var child = left
            if left + 1 < count, TimerEntry.precedes(entries[left + 1], entries[left]) { child = left + 1 }
            guard TimerEntry.precedes(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            parent = child
        }
        return top
    }
}

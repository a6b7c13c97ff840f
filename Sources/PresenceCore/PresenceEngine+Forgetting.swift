/// An index given to a new id (`id`) or freed (`id` nil), for a store that keeps the numbering.
public struct NumberingChange: Sendable, Equatable {
    public var index: Int32
    public var id: UserID?

    public init(index: Int32, id: UserID?) {
        self.index = index
        self.id = id
    }
}

/// Forgetting users nobody names: every id in any list is interned, so without this churned
/// lists (or one abusive user within the rate limit) would grow the engine for ever.
///
/// A user is forgettable when it is not a participant (it never sent an input of its own and was
/// not restored as one: no devices, settings, lists or last seen) and no one lists it (no
/// watchers, in no blocked list). Such a user holds no view and no view of it exists, so
/// forgetting it changes no view: named again, it starts as a new user, exactly as it was (a
/// user never seen). Its index is reused by the next new id; the caller keeps its numbering in
/// step (`takeNumberingChanges`) and says which indices must stay (rows still naming them).
extension PresenceEngine {
    /// True when nothing of `index` is worth keeping and no one names it.
    func isForgettable(_ index: Int32) -> Bool {
        let user = users[Int(index)]
        return !user.isParticipant && user.watchers.isEmpty && user.blockedBy == 0 && user.devices.isEmpty
            && user.lastSeen == .min && indexByID[user.id] == index
    }

    /// Forgets every candidate that is forgettable and that `keeping` does not hold on to (a
    /// store with rows naming the index, say; those stay candidates); returns how many went.
    public mutating func forgetUnlistedUsers(keeping: (Int32) -> Bool) -> Int {
        guard !forgetCandidates.isEmpty else { return 0 }
        var forgotten = 0
        for index in forgetCandidates.sorted() {
            guard isForgettable(index) else {
                forgetCandidates.remove(index)
                continue
            }
            guard !keeping(index) else { continue }
            forgetCandidates.remove(index)
            indexByID.removeValue(forKey: users[Int(index)].id)
            users[Int(index)] = UserRecord(id: UserRecord.freeSlotID)
            freeIndices.append(index)
            numberingChanges.append(NumberingChange(index: index, id: nil))
            forgotten += 1
        }
        return forgotten
    }

    /// The indices reused or freed since the last call, in order (a store applies them in order).
    public mutating func takeNumberingChanges() -> [NumberingChange] {
        defer { numberingChanges.removeAll() }
        return numberingChanges
    }

    /// Notes that `index` lost a watcher or a blocker: it may be forgettable now.
    mutating func noteUnnamed(_ index: Int32) {
        let user = users[Int(index)]
        if user.watchers.isEmpty, user.blockedBy == 0, !user.isParticipant { forgetCandidates.insert(index) }
    }

    /// Keeps `blockedBy` in step with a blocked list going from `old` to `new` (sorted indices).
    mutating func countBlocked(from old: [Int32], to new: [Int32]) {
        var removed: [Int32] = []
        var added: [Int32] = []
        SortedIndices.difference(from: old, to: new, removed: { removed.append($0) }, added: { added.append($0) })
        for index in added { users[Int(index)].blockedBy += 1 }
        for index in removed {
            users[Int(index)].blockedBy -= 1
            noteUnnamed(index)
        }
    }
}

extension UserRecord {
    /// The id a free slot holds; never looked up (the slot is not in `indexByID`).
    static let freeSlotID = UserID("free-slot")!
}

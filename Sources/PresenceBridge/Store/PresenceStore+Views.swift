import CSQLite
import PresenceCore

/// One row of the views record: what the broker was last asked to hold at `out/{viewer}/{target}`
/// (users by their stored numbers) and the batch that asked it.
struct ViewRecord: Equatable, Sendable {
    var viewer: Int32
    var target: Int32
    /// `ViewDigest` of the payload; `ViewDigest.deleted` (0) for a deleted view (a tombstone).
    var digest: UInt64
    /// The batch that last changed the row.
    var sequence: Int64
}

/// The record of published views: which views the broker holds, by digest, so that a restart
/// reads the broker's retained inputs and its checkpoint instead of every retained view.
extension PresenceStore {
    /// Writes a batch in one transaction: its durable facts, the numbers freed or given again
    /// (`numbering`, in order), the user ids first numbered in it (`ids`, numbered from
    /// `storedIDs` on), and its view rows stamped with `sequence` (the store's sequence then
    /// becomes `sequence`). All or nothing: on failure nothing is written and the store's
    /// counters stay as they were.
    func writeBatch(_ changes: [DurableChange], numbering: [NumberingChange] = [], ids: ArraySlice<UserID>,
                    views: [ViewRecord], sequence: Int64?, inputs: [AppliedInput] = []) throws(StoreError) {
        guard !changes.isEmpty || !numbering.isEmpty || !ids.isEmpty || !views.isEmpty || !inputs.isEmpty else { return }
        try transaction { () throws(StoreError) in
            for change in changes { try write(change) }
            try renumber(numbering)
            try recordIDs(ids)
            for view in views { try recordView(view) }
            for input in inputs { try recordInput(input) }
            if let sequence { try setMeta("sequence", sequence) }
        }
        storedIDs += ids.count
        if let sequence { self.sequence = sequence }
    }

    /// Replaces the rows of the viewers in `viewers` (after a read-back of the broker's views,
    /// which is then what the broker holds): `body` records their views with `recordView`, in
    /// one transaction with the new ids and the new sequence.
    func rewriteViews(of viewers: Range<Int32>, numbering: [NumberingChange] = [], ids: ArraySlice<UserID>, sequence: Int64,
                      _ body: () throws(StoreError) -> Void) throws(StoreError) {
        try transaction { () throws(StoreError) in
            try renumber(numbering)
            try recordIDs(ids)
            let delete = try prepare("DELETE FROM views WHERE viewer >= ?1 AND viewer < ?2")
            sqlite3_bind_int64(delete, 1, Int64(viewers.lowerBound))
            sqlite3_bind_int64(delete, 2, Int64(viewers.upperBound))
            try run(delete)
            try body()
            try setMeta("sequence", sequence)
        }
        storedIDs += ids.count
        self.sequence = sequence
    }

    /// The digests of the settings and list payloads last applied, by stored user number.
    func loadAppliedInputs() throws(StoreError) -> [AppliedInput] {
        let statement = try prepare("SELECT user, kind, digest FROM input_digests")
        defer { sqlite3_reset(statement) }
        var inputs: [AppliedInput] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return inputs }
            guard step == SQLITE_ROW else { throw lastError("reading input digests") }
            inputs.append(AppliedInput(user: Int32(truncatingIfNeeded: sqlite3_column_int64(statement, 0)),
                                       kind: Int(sqlite3_column_int64(statement, 1)),
                                       digest: UInt64(bitPattern: sqlite3_column_int64(statement, 2))))
        }
    }

    private func recordInput(_ input: AppliedInput) throws(StoreError) {
        let statement = try prepare("INSERT OR REPLACE INTO input_digests(user, kind, digest) VALUES(?1, ?2, ?3)")
        sqlite3_bind_int64(statement, 1, Int64(input.user))
        sqlite3_bind_int64(statement, 2, Int64(input.kind))
        sqlite3_bind_int64(statement, 3, Int64(bitPattern: input.digest))
        try run(statement)
    }

    /// One row of the views record, inside `writeBatch` or `rewriteViews`.
    func recordView(_ view: ViewRecord) throws(StoreError) {
        let statement = try prepare("INSERT OR REPLACE INTO views(viewer, target, digest, sequence) VALUES(?1, ?2, ?3, ?4)")
        sqlite3_bind_int64(statement, 1, Int64(view.viewer))
        sqlite3_bind_int64(statement, 2, Int64(view.target))
        sqlite3_bind_int64(statement, 3, Int64(bitPattern: view.digest))
        sqlite3_bind_int64(statement, 4, view.sequence)
        try run(statement)
    }

    /// Frees the numbers of forgotten users and gives freed numbers to new ids, in order.
    private func renumber(_ changes: [NumberingChange]) throws(StoreError) {
        for change in changes where Int(change.index) < storedIDs {
            if let id = change.id {
                let statement = try prepare("INSERT OR REPLACE INTO ids(id, user) VALUES(?1, ?2)")
                sqlite3_bind_int64(statement, 1, Int64(change.index))
                bind(statement, 2, id.rawValue)
                try run(statement)
            } else {
                let statement = try prepare("DELETE FROM ids WHERE id = ?1")
                sqlite3_bind_int64(statement, 1, Int64(change.index))
                try run(statement)
            }
        }
    }

    /// True when a row of the views record names user number `index`, as viewer or in a
    /// tombstone as target (a row that shows a view of it means someone lists it, and the
    /// engine keeps it anyway): its number cannot be given to another id yet.
    func hasViewRows(naming index: Int32) throws(StoreError) -> Bool {
        let asViewer = try prepare("SELECT 1 FROM views WHERE viewer = ?1 LIMIT 1")
        sqlite3_bind_int64(asViewer, 1, Int64(index))
        defer { sqlite3_reset(asViewer) }
        let viewerStep = sqlite3_step(asViewer)
        guard viewerStep == SQLITE_DONE || viewerStep == SQLITE_ROW else { throw lastError("looking up rows") }
        if viewerStep == SQLITE_ROW { return true }
        let asTarget = try prepare("SELECT 1 FROM views WHERE target = ?1 AND digest = 0 LIMIT 1")
        sqlite3_bind_int64(asTarget, 1, Int64(index))
        defer { sqlite3_reset(asTarget) }
        let targetStep = sqlite3_step(asTarget)
        guard targetStep == SQLITE_DONE || targetStep == SQLITE_ROW else { throw lastError("looking up rows") }
        return targetStep == SQLITE_ROW
    }

    private func recordIDs(_ ids: ArraySlice<UserID>) throws(StoreError) {
        guard !ids.isEmpty else { return }
        let statement = try prepare("INSERT INTO ids(id, user) VALUES(?1, ?2)")
        var number = Int64(storedIDs)
        for id in ids {
            sqlite3_bind_int64(statement, 1, number)
            bind(statement, 2, id.rawValue)
            try run(statement)
            number += 1
        }
    }

    /// The rows of the viewers in `viewers`, sorted by viewer then target (the table's key
    /// order: no sort), read one at a time with `next`. Finish with it before the next write.
    func viewRecords(of viewers: Range<Int32> = 0..<Int32.max) throws(StoreError) -> ViewRecordCursor {
        let statement = try prepare("SELECT viewer, target, digest, sequence FROM views WHERE viewer >= ?1 AND viewer < ?2 ORDER BY viewer, target")
        sqlite3_bind_int64(statement, 1, Int64(viewers.lowerBound))
        sqlite3_bind_int64(statement, 2, Int64(viewers.upperBound))
        return ViewRecordCursor(store: self, statement: statement)
    }

    /// Forgets the tombstones of batches up to `sequence`: the broker has saved a state in which
    /// those views are gone. Returns how many were forgotten.
    @discardableResult
    func pruneTombstones(through sequence: Int64) throws(StoreError) -> Int {
        let statement = try prepare("DELETE FROM views WHERE digest = 0 AND sequence <= ?1")
        sqlite3_bind_int64(statement, 1, sequence)
        try run(statement)
        return Int(sqlite3_changes(database))
    }

    /// Rows in the views record (tombstones included).
    func viewRecordCount() throws(StoreError) -> Int {
        Int(try scalar("SELECT count(*) FROM views") ?? 0)
    }
}

/// Reads the views record in key order, one row at a time (see `PresenceStore.viewRecords`).
final class ViewRecordCursor {
    private let store: PresenceStore
    private let statement: OpaquePointer
    private var done = false

    fileprivate init(store: PresenceStore, statement: OpaquePointer) {
        self.store = store
        self.statement = statement
    }

    deinit {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    /// The next row; nil after the last.
    func next() throws(StoreError) -> ViewRecord? {
        guard !done else { return nil }
        let step = sqlite3_step(statement)
        if step == SQLITE_DONE {
            done = true
            return nil
        }
        guard step == SQLITE_ROW else { throw store.lastError("reading the views record") }
        return ViewRecord(
            viewer: Int32(truncatingIfNeeded: sqlite3_column_int64(statement, 0)),
            target: Int32(truncatingIfNeeded: sqlite3_column_int64(statement, 1)),
            digest: UInt64(bitPattern: sqlite3_column_int64(statement, 2)),
            sequence: sqlite3_column_int64(statement, 3))
    }
}

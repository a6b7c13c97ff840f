import PresenceCore
import PresenceWire

/// The end of a resync, one slice of viewers at a time (see `CatchUp`): deciding which views the
/// broker lacks, from the views record (fenced by the broker's checkpoint) or from the retained
/// views read back.
extension BridgeWriter {
    /// Walks the views that should exist for `viewers` (in index order) beside the views
    /// record's rows for them (in the same order) and decides, without asking the broker:
    /// - a view whose row changed in a batch after `trusted` and up to `staleThrough` (the broker
    ///   may have lost it: a crash of the bridge before the checkpoint, or of the broker before
    ///   its autosave) is published again, such a tombstone deleted again;
    /// - a view whose digest differs from its row (its target or the viewer's lists changed
    ///   while the bridge was away) is published; a row with no view now is deleted;
    /// - everything else is on the broker already, and is trusted.
    /// A view decided for a stale row replaces something unknown, not the row's digest: the
    /// broker may hold an older view, so a change back to the row's view before it went out
    /// must not cancel it in the outbox.
    /// The views decided go out with the next flush; returns how many.
    func reconcileWithRecord(_ viewers: Range<Int32>, trusted: Int64, staleThrough: Int64,
                             digests: inout ViewDigestCache) throws(StoreError) -> Int {
        let cursor = try store.viewRecords(of: viewers)
        var row = try cursor.next()
        var failure: StoreError?
        let before = decided.count
        let users = Int32(truncatingIfNeeded: engine.userCount)
        func isStale(_ record: ViewRecord) -> Bool { record.sequence > trusted && record.sequence <= staleThrough }
        var owned = OwnedTargets(shard: configuration.shard, users: engine.userCount)

        func advance() {
            do throws(StoreError) { row = try cursor.next() } catch {
                failure = error
                row = nil
            }
        }
        /// A row whose view should not exist now.
        /// (Not one of a target this shard no longer owns, as after a change of the broker
        /// list: the target's new shard decides that view now.)
        func settleOrphan(_ record: ViewRecord) {
            guard record.viewer < users, record.target < users,
                  record.digest != ViewDigest.deleted || isStale(record),
                  owned.contains(record.target, id: { engine.userID(at: record.target) }) else { return }
            decided.append(DecidedView(viewer: record.viewer, target: record.target, payload: [],
                                       digest: ViewDigest.deleted, replacing: isStale(record) ? ViewDigest.unknown : record.digest))
        }

        engine.forEachIndexedView(viewers: viewers) { viewer, target, view in
            guard owned.contains(target, id: { engine.userID(at: target) }) else { return }
            while let record = row, (record.viewer, record.target) < (viewer, target) {
                settleOrphan(record)
                advance()
            }
            let digest = digests.digest(of: view, target: target)
            var held = ViewDigest.deleted
            var stale = true
            if let record = row, record.viewer == viewer, record.target == target {
                held = record.digest
                stale = isStale(record)
                advance()
            }
            if held != digest || stale {
                decided.append(DecidedView(viewer: viewer, target: target, payload: ViewEncoder.encode(view),
                                           digest: digest, replacing: stale ? ViewDigest.unknown : held))
            }
        }
        while let record = row {
            settleOrphan(record)
            advance()
        }
        if let failure { throw failure }
        return decided.count - before
    }

    /// Compares the views that should exist for `viewers` with the retained views read back
    /// from the broker, queues what differs, and rewrites the views record's rows of these
    /// viewers to match, in one transaction. The last slice also deletes every retained view
    /// that should not exist. Returns how many views it queued.
    func reconcileWithRetainedViews(_ viewers: Range<Int32>, last: Bool, catchUp: inout CatchUp) -> Int {
        var repairs: [DecidedView] = []
        let sequence = store.sequence + 1
        do {
            var owned = OwnedTargets(shard: configuration.shard, users: engine.userCount)
            numbering += engine.takeNumberingChanges()
            try store.rewriteViews(of: viewers, numbering: numbering, ids: newIDs(), sequence: sequence) { () throws(StoreError) in
                var failure: StoreError?
                engine.forEachIndexedView(viewers: viewers) { viewer, target, view in
                    guard failure == nil, owned.contains(target, id: { engine.userID(at: target) }) else { return }
                    let digest = catchUp.digests.digest(of: view, target: target)
                    let held = catchUp.retained.removeValue(forKey: ViewPair.key(viewer, target)) ?? ViewDigest.deleted
                    if held != digest {
                        repairs.append(DecidedView(viewer: viewer, target: target, payload: ViewEncoder.encode(view),
                                                   digest: digest, replacing: held))
                    }
                    do throws(StoreError) {
                        try store.recordView(ViewRecord(viewer: viewer, target: target, digest: digest, sequence: sequence))
                    } catch { failure = error }
                }
                if let failure { throw failure }
                guard last else { return }
                for (key, held) in catchUp.retained.sorted(by: { $0.key < $1.key }) where held != ViewDigest.deleted {
                    let viewer = ViewPair.viewer(key)
                    let target = ViewPair.target(key)
                    repairs.append(DecidedView(viewer: viewer, target: target, payload: [], digest: ViewDigest.deleted, replacing: held))
                    try store.recordView(ViewRecord(viewer: viewer, target: target, digest: ViewDigest.deleted, sequence: sequence))
                }
            }
            numbering.removeAll()
        } catch {
            // The views still go out (the broker must end up right); the record keeps its older
            // sequence, so a later resync republishes rather than trusts.
            statistics.storeFailures += 1
            logger.error("cannot rewrite the views record", metadata: ["error": "\(error)"])
        }
        for view in repairs { enqueue(view) }
        guard last else { return repairs.count }
        catchUp.retained = [:]
        for (topic, held) in catchUp.strays.sorted(by: { $0.key < $1.key }) {
            outbox.enqueueView(topic: topic, payload: [], digest: ViewDigest.deleted, replacing: held)  // ids never numbered: nothing to record
            statistics.viewsDeleted += 1
        }
        defer { catchUp.strays = [:] }
        return repairs.count + catchUp.strays.count
    }
}

/// The digests of the few distinct views of each target (contact, other, self), so that
/// enumerating every view encodes each distinct one about once.
struct ViewDigestCache {
    private static let ways = 3
    private var slots: [(view: View, digest: UInt64)?]

    init(users: Int) {
        slots = Array(repeating: nil, count: users * Self.ways)
    }

    mutating func digest(of view: View, target: Int32) -> UInt64 {
        let base = Int(target) * Self.ways
        guard base + Self.ways <= slots.count else { return ViewDigest.of(ViewEncoder.encode(view)) }
        for way in 0..<Self.ways {
            if let slot = slots[base + way], slot.view == view { return slot.digest }
        }
        let digest = ViewDigest.of(ViewEncoder.encode(view))
        for way in stride(from: Self.ways - 1, to: 0, by: -1) { slots[base + way] = slots[base + way - 1] }
        slots[base] = (view, digest)
        return digest
    }
}

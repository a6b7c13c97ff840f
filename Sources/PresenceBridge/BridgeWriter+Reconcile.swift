import PresenceCore

/// The end of a resync: deciding which views the broker lacks, from the views record (fenced by
/// the broker's checkpoint) or from the retained views read back.
extension BridgeWriter {
    /// Walks the views that should exist (in index order) beside the views record (in the same
    /// order) and decides, without asking the broker:
    /// - a view whose row changed in a batch after `trusted` (the broker may have lost it: a
    ///   crash of the bridge before the checkpoint, or of the broker before its autosave) is
    ///   published again, a tombstone after `trusted` deleted again;
    /// - a view whose digest differs from its row (its target or the viewer's lists changed
    ///   while the bridge was away) is published; a row with no view now is deleted;
    /// - everything else is on the broker already, and is trusted.
    /// Returns how many views it decided; they go out with the next flush.
    func reconcileWithRecord(trustingThrough trusted: Int64) throws(StoreError) -> Int {
        let cursor = try store.viewRecords()
        var row = try cursor.next()
        var failure: StoreError?
        var digests = ViewDigestCache(users: engine.userCount)
        let before = decided.count
        let users = Int32(truncatingIfNeeded: engine.userCount)

        func advance() {
            do throws(StoreError) { row = try cursor.next() } catch {
                failure = error
                row = nil
            }
        }
        /// A row whose view should not exist now.
        func settleOrphan(_ record: ViewRecord) {
            guard record.viewer < users, record.target < users,
                  record.digest != ViewDigest.deleted || record.sequence > trusted else { return }
            decided.append(DecidedView(viewer: record.viewer, target: record.target, payload: [],
                                       digest: ViewDigest.deleted, replacing: record.digest))
        }

        engine.forEachIndexedView { viewer, target, view in
            while let record = row, (record.viewer, record.target) < (viewer, target) {
                settleOrphan(record)
                advance()
            }
            let digest = digests.digest(of: view, target: target)
            var held = ViewDigest.deleted
            var stale = true
            if let record = row, record.viewer == viewer, record.target == target {
                held = record.digest
                stale = record.sequence > trusted
                advance()
            }
            if held != digest || stale {
                decided.append(DecidedView(viewer: viewer, target: target, payload: ViewEncoder.encode(view),
                                           digest: digest, replacing: held))
            }
        }
        while let record = row {
            settleOrphan(record)
            advance()
        }
        if let failure { throw failure }
        return decided.count - before
    }

    /// Compares the views that should exist with the retained views read back from the broker
    /// (by topic and digest), queues what differs and deletes what should not be there, and
    /// rewrites the views record to match, in one transaction. Returns how many views it queued.
    func reconcileWithRetainedViews(_ retainedViews: [String: UInt64]) -> Int {
        let topics = configuration.topics
        var retained = retainedViews
        var digests = ViewDigestCache(users: engine.userCount)
        var repairs: [DecidedView] = []
        var strays: [(topic: String, digest: UInt64)] = []
        let sequence = store.sequence + 1
        do {
            try store.rewriteViews(ids: newIDs(), sequence: sequence) { () throws(StoreError) in
                var failure: StoreError?
                engine.forEachIndexedView { viewer, target, view in
                    guard failure == nil else { return }
                    let digest = digests.digest(of: view, target: target)
                    let topic = topics.viewTopic(viewer: engine.userID(at: viewer), target: engine.userID(at: target))
                    let held = retained.removeValue(forKey: topic) ?? ViewDigest.deleted
                    if held != digest {
                        repairs.append(DecidedView(viewer: viewer, target: target, payload: ViewEncoder.encode(view),
                                                   digest: digest, replacing: held))
                    }
                    do throws(StoreError) {
                        try store.recordView(ViewRecord(viewer: viewer, target: target, digest: digest, sequence: sequence))
                    } catch { failure = error }
                }
                if let failure { throw failure }
                for (topic, held) in retained.sorted(by: { $0.key < $1.key }) {
                    if let pair = topics.viewPair(topic), let viewer = UserID(pair.viewer).flatMap(engine.userIndex(of:)),
                       let target = UserID(pair.target).flatMap(engine.userIndex(of:)) {
                        repairs.append(DecidedView(viewer: viewer, target: target, payload: [], digest: ViewDigest.deleted, replacing: held))
                        try store.recordView(ViewRecord(viewer: viewer, target: target, digest: ViewDigest.deleted, sequence: sequence))
                    } else {
                        strays.append((topic, held))  // ids this engine never numbered: nothing to record
                    }
                }
            }
        } catch {
            // The views still go out (the broker must end up right); the record keeps its older
            // sequence, so the next resync republishes rather than trusts.
            statistics.storeFailures += 1
            logger.error("cannot rewrite the views record", metadata: ["error": "\(error)"])
        }
        for (topic, held) in strays {
            outbox.enqueueView(topic: topic, payload: [], digest: ViewDigest.deleted, replacing: held)
            statistics.viewsDeleted += 1
        }
        for view in repairs { enqueue(view) }
        return repairs.count + strays.count
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

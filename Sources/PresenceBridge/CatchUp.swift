import PresenceCore

/// The end of a resync, once the broker's replay is in: deciding, slice by slice of viewers,
/// which views the broker lacks, from one of two sources.
///
/// While it runs the bridge is live for inputs (their views go out as usual) but not yet ready:
/// `bridge/status` goes online, and checkpoints resume, only after the last slice. A slice is
/// taken only when the outbox has drained below half a slice, so memory holds about one slice
/// of views whatever the number of users. A view that changes before its slice is reached is
/// published as usual and then found up to date by its slice.
struct CatchUp {
    enum Source {
        /// The views record, fenced by the broker's checkpoint `trusted`: rows changed in a batch
        /// after it, up to `staleThrough` (the record's latest batch when the resync began), may
        /// be missing from the broker; rows of batches after `staleThrough` were written while
        /// catching up and went out on this connection.
        case record(trusted: Int64, staleThrough: Int64)
        /// The retained views read back from the broker (`retained`, `strays`).
        case readBack
    }

    let source: Source
    /// When the resync began (monotonic).
    let startedAt: MonotonicInstant
    /// With `.readBack`: the digests of the retained views not reconciled yet, by `ViewPair`,
    /// and by topic those that name users the engine does not know (they can only be deleted).
    var retained: [UInt64: UInt64]
    var strays: [String: UInt64]
    /// The first viewer not yet reconciled.
    var nextViewer: Int32 = 0
    /// Views published or deleted because the broker lacked them.
    var repaired = 0
    /// The digests of the few distinct views of each target, across slices.
    var digests: ViewDigestCache

    init(source: Source, startedAt: MonotonicInstant, retained: [UInt64: UInt64] = [:], strays: [String: UInt64] = [:], users: Int) {
        self.source = source
        self.startedAt = startedAt
        self.retained = retained
        self.strays = strays
        digests = ViewDigestCache(users: users)
    }

    /// Notes a view that went out (or was deleted) while catching up. It is what the broker
    /// will hold, so a read-back must agree when the view's slice comes.
    mutating func notePublished(viewer: Int32, target: Int32, digest: UInt64) {
        guard case .readBack = source, viewer >= nextViewer else { return }
        retained[ViewPair.key(viewer, target)] = digest
    }

    /// True while `viewer`'s views have not been reconciled: what the broker holds for them is
    /// not known, so a pending view of theirs must never be dropped as "back to what it was".
    func isPending(viewer: Int32) -> Bool { viewer >= nextViewer }
}

extension PresenceEngine {
    /// The current basis of `target`'s views.
    func basis(of target: Int32) -> ViewBasis {
        let index = Int(target)
        var anyOnline = false
        var anyAway = false
        var anyInvisible = false
        var devices: [DeviceView] = []
        var latestSlot = -1
        var latestSequence: UInt64 = 0
        let records = users[index].devices
        for slot in records.indices {
            let status = records[slot].status
            guard status != .offline else { continue }
            if devices.isEmpty { devices.reserveCapacity(records.count) }
            devices.append(DeviceView(id: records[slot].id, platform: records[slot].platform, status: status))
            switch status {
            case .online: anyOnline = true
            case .away: anyAway = true
            case .invisible: anyInvisible = true
            case .offline: break
            }
            if let sequence = records[slot].activity?.sequence, sequence > latestSequence {
                latestSequence = sequence
                latestSlot = slot
            }
        }
        let latest = latestSlot >= 0 ? records[latestSlot].activity : nil
        let aggregate: DeviceStatus = anyOnline ? .online : (anyAway ? .away : .offline)
        return ViewBasis(
            isParticipant: users[index].isParticipant,
            selfStatus: anyInvisible ? .invisible : aggregate,
            sharedStatus: anyInvisible ? .offline : aggregate,
            isHidden: anyInvisible,
            devices: devices,
            activity: latest.map { ActivityView(kind: $0.kind, detail: $0.detail) },
            audience: latest?.audience,
            lastSeen: users[index].lastSeen,
            settings: users[index].settings
        )
    }

    /// How `viewer` stands to `target` (a block beats a contact).
    @inline(__always)
    func relation(of viewer: Int32, to target: Int32) -> ViewerRelation {
        if viewer == target { return .oneself }
        let index = Int(target)
        if SortedIndices.contains(users[index].blocked, viewer) { return .blocked }
        return SortedIndices.contains(users[index].contacts, viewer) ? .contact : .other
    }

    /// True when `viewer` holds a view of `target`: itself once a participant, or a listed user.
    func holdsView(viewer: Int32, target: Int32) -> Bool {
        let index = Int(viewer)
        if viewer == target { return users[index].isParticipant }
        return SortedIndices.contains(users[index].contacts, target) || SortedIndices.contains(users[index].watch, target)
    }

    /// The audience as sorted indices of known users (unknown users hold no views); nil = everyone.
    func audienceIndices(_ audience: [UserID]?) -> [Int32]? {
        guard let audience else { return nil }
        var indices: [Int32] = []
        indices.reserveCapacity(audience.count)
        for id in audience {
            if let index = indexByID[id] { indices.append(index) }
        }
        return SortedIndices.normalised(indices)
    }

    /// The view `viewer` holds of `target` now, computed from `basis`.
    func currentView(of target: Int32, for viewer: Int32, basis: ViewBasis) -> View {
        let relation = relation(of: viewer, to: target)
        let named = basis.audience.map { $0.contains(users[Int(viewer)].id) } ?? true
        return basis.view(of: users[Int(target)].id, relation: relation, named: named)
    }

    /// Emits a publish for every viewer of `target` whose view differs between `old` and `new`.
    ///
    /// Lists are unchanged here, so each viewer keeps its relation; only the activity's `to`
    /// may name a viewer before and not after (or the reverse). Views are computed once per
    /// (relation, named before, named after) and one pass goes over the watchers.
    mutating func emitTargetChanges(of target: Int32, from old: ViewBasis, to new: ViewBasis, into output: inout EngineOutput) {
        let index = Int(target)
        let id = users[index].id
        output.viewChanges.reserveCapacity(output.viewChanges.count + min(users[index].watchers.count + 1, 64))
        if new.isParticipant {
            let newView = new.view(of: id, relation: .oneself, named: true)
            let oldView = old.isParticipant ? old.view(of: id, relation: .oneself, named: true) : nil
            if oldView != newView {
                output.viewChanges.append(.publish(viewer: id, target: id, view: newView, previous: oldView))
            }
        }
        let watchers = users[index].watchers
        guard !watchers.isEmpty else { return }
        let blocked = users[index].blocked
        let contacts = users[index].contacts
        let oldAudience = audienceIndices(old.audience)
        let newAudience = audienceIndices(new.audience)
        var diffs = ViewDiffCache()
        for viewer in watchers {
            if !blocked.isEmpty, SortedIndices.contains(blocked, viewer) { continue }
            let relation: ViewerRelation = SortedIndices.contains(contacts, viewer) ? .contact : .other
            let namedBefore = oldAudience.map { SortedIndices.contains($0, viewer) } ?? true
            let namedAfter = newAudience.map { SortedIndices.contains($0, viewer) } ?? true
            let slot = (relation == .contact ? 4 : 0) + (namedBefore ? 2 : 0) + (namedAfter ? 1 : 0)
            if !diffs.isComputed(slot) {
                let before = old.view(of: id, relation: relation, named: namedBefore)
                let after = new.view(of: id, relation: relation, named: namedAfter)
                diffs.record(slot, before == after ? nil : (after, before))
            }
            if let (view, previous) = diffs.changedView(slot) {
                output.viewChanges.append(.publish(viewer: users[Int(viewer)].id, target: id, view: view, previous: previous))
            }
        }
    }

    /// Ends a change of `target`'s state begun with `old`: moves last seen when the user just
    /// went from present to hidden, and publishes what changed.
    ///
    /// `live` = the input was a live message (when it makes the user present, it is the first
    /// live message of that presence; a replay leaves the time unknown).
    mutating func finishTargetChange(of target: Int32, from old: ViewBasis, live: Bool, into output: inout EngineOutput) {
        let index = Int(target)
        var new = basis(of: target)
        if old.isPresentToOthers, !new.isPresentToOthers {
            let latest = users[index].latestLive
            if latest != .min, latest > users[index].lastSeen {
                users[index].lastSeen = latest
                new.lastSeen = latest
                output.durableChanges.append(.lastSeen(users[index].id, Timestamp(millisecondsSinceEpoch: latest)))
            }
        } else if !old.isPresentToOthers, new.isPresentToOthers, !live {
            users[index].latestLive = .min
        }
        if old != new {
            emitTargetChanges(of: target, from: old, to: new, into: &output)
        }
    }

    /// Calls `body` for every view that should exist now: each participant's view of itself,
    /// and each viewer's view of every user in its contacts and watch list.
    ///
    /// In index order: viewers ascending, and each viewer's targets ascending (its own view in
    /// its place among them), so a reconciliation can walk it beside a table sorted the same way.
    public func forEachView(_ body: (_ viewer: UserID, _ target: UserID, _ view: View) throws -> Void) rethrows {
        try forEachIndexedView { viewer, target, view in
            try body(users[Int(viewer)].id, users[Int(target)].id, view)
        }
    }

    /// ``forEachView(_:)`` with the users' indices (see ``userIndex(of:)``) instead of their ids.
    public func forEachIndexedView(_ body: (_ viewer: Int32, _ target: Int32, _ view: View) throws -> Void) rethrows {
        try forEachIndexedView(viewers: 0..<Int32(truncatingIfNeeded: users.count), body)
    }

    /// The views of the viewers in `viewers` (clamped to the users known), in the same order:
    /// for doing the work in slices.
    public func forEachIndexedView(viewers: Range<Int32>, _ body: (_ viewer: Int32, _ target: Int32, _ view: View) throws -> Void) rethrows {
        var cache: [Int32: TargetViews] = [:]
        let end = min(Int(viewers.upperBound), users.count)
        guard Int(viewers.lowerBound) < end else { return }
        for viewerIndex in Int(viewers.lowerBound)..<end {
            let viewer = Int32(truncatingIfNeeded: viewerIndex)
            var selfPending = users[viewerIndex].isParticipant
            let contacts = users[viewerIndex].contacts
            let watch = users[viewerIndex].watch
            var i = 0
            var j = 0
            while i < contacts.count || j < watch.count {
                let target: Int32
                if j == watch.count || (i < contacts.count && contacts[i] < watch[j]) {
                    target = contacts[i]; i += 1
                } else if i == contacts.count || watch[j] < contacts[i] {
                    target = watch[j]; j += 1
                } else {
                    target = contacts[i]; i += 1; j += 1
                }
                if selfPending, viewer < target {
                    selfPending = false
                    try body(viewer, viewer, selfView(viewer))
                }
                let targetIndex = Int(target)
                let views: TargetViews
                if let cached = cache[target] {
                    views = cached
                } else {
                    views = TargetViews(basis: basis(of: target), user: users[targetIndex].id)
                    cache[target] = views
                }
                let view: View
                if let basis = views.basisWithAudience {
                    view = currentView(of: target, for: viewer, basis: basis)
                } else {
                    switch relation(of: viewer, to: target) {
                    case .contact: view = views.contact
                    case .other: view = views.other
                    case .blocked, .oneself: view = views.blocked
                    }
                }
                try body(viewer, target, view)
            }
            if selfPending {
                try body(viewer, viewer, selfView(viewer))
            }
        }
    }

    /// About how many views `viewer` holds (its lists and itself), to size slices of work.
    public func heldViewEstimate(of viewer: Int32) -> Int {
        let user = users[Int(viewer)]
        return user.contacts.count + user.watch.count + 1
    }

    private func selfView(_ user: Int32) -> View {
        basis(of: user).view(of: users[Int(user)].id, relation: .oneself, named: true)
    }

    /// The view `viewer` holds of `target` now; nil when it holds none.
    public func view(of target: UserID, for viewer: UserID) -> View? {
        guard let viewerIndex = indexByID[viewer], let targetIndex = indexByID[target],
            holdsView(viewer: viewerIndex, target: targetIndex)
        else { return nil }
        return currentView(of: targetIndex, for: viewerIndex, basis: basis(of: targetIndex))
    }
}

/// Per-slot memo of one target change: is the view of this (relation, named) slot changed, and to what.
struct ViewDiffCache {
    private var computed: UInt8 = 0
    private var changed: UInt8 = 0
    private var views: [(new: View, old: View)?] = []

    func isComputed(_ slot: Int) -> Bool { computed & (1 << slot) != 0 }

    mutating func record(_ slot: Int, _ change: (new: View, old: View)?) {
        computed |= 1 << slot
        guard let change else { return }
        if views.isEmpty { views = [(new: View, old: View)?](repeating: nil, count: 8) }
        changed |= 1 << slot
        views[slot] = change
    }

    /// The new view and the one it replaces, when the slot's view changed.
    func changedView(_ slot: Int) -> (new: View, old: View)? {
        changed & (1 << slot) != 0 ? views[slot] : nil
    }
}

/// The views of one target by relation, computed once while enumerating every view.
struct TargetViews {
    var contact: View
    var other: View
    var blocked: View
    /// Set when the activity has a `to`: then views are computed per viewer.
    var basisWithAudience: ViewBasis?

    init(basis: ViewBasis, user: UserID) {
        contact = basis.view(of: user, relation: .contact, named: true)
        other = basis.view(of: user, relation: .other, named: true)
        blocked = View(user: user)
        basisWithAudience = basis.audience == nil ? nil : basis
    }
}

/// The three lists a user publishes.
enum ListKind: Sendable {
    case contacts
    case blocked
    case watch
}

extension PresenceEngine {
    /// `in/{user}/settings`: missing keys keep their value; revocation reaches every viewer at once.
    mutating func applySettings(_ user: UserID, _ update: PrivacySettingsUpdate) -> EngineOutput {
        let target = intern(user)
        let index = Int(target)
        var output = EngineOutput()
        let old = basis(of: target)
        users[index].isParticipant = true
        let settings = users[index].settings.updated(with: update)
        if settings != users[index].settings {
            users[index].settings = settings
            output.durableChanges.append(.settings(user, settings))
        }
        let new = basis(of: target)
        if old != new {
            emitTargetChanges(of: target, from: old, to: new, into: &output)
        }
        return output
    }

    /// `in/{user}/contacts|blocked|watch`: replaces the list whole.
    ///
    /// Contacts and watch decide which views the user holds (added → published, removed →
    /// deleted); contacts and blocked decide how others stand to the user (views of it that
    /// gain or lose fields are republished in the same step).
    mutating func replaceList(_ kind: ListKind, of user: UserID, with list: [UserID]) -> EngineOutput {
        let target = intern(user)
        let index = Int(target)
        var output = EngineOutput()
        if !users[index].isParticipant {
            users[index].isParticipant = true
            output.viewChanges.append(.publish(viewer: user, target: user,
                                               view: basis(of: target).view(of: user, relation: .oneself, named: true),
                                               previous: nil))
        }
        var ordered: [UserID] = []
        var indices: [Int32] = []
        ordered.reserveCapacity(list.count)
        indices.reserveCapacity(list.count)
        var seen = Set<Int32>(minimumCapacity: list.count)
        for id in list {
            let member = intern(id)
            guard member != target, seen.insert(member).inserted else { continue }
            ordered.append(id)
            indices.append(member)
        }
        let new = SortedIndices.normalised(indices)
        switch kind {
        case .contacts:
            let old = users[index].contacts
            guard old != new else { return output }
            let watch = users[index].watch
            users[index].contacts = new
            changeHeldTargets(of: target, from: SortedIndices.union(old, watch), to: SortedIndices.union(new, watch),
                              emit: true, into: &output)
            let blocked = users[index].blocked
            changeRelations(of: target, contacts: (old, new), blocked: (blocked, blocked), into: &output)
            output.durableChanges.append(.contacts(user, ordered))
        case .blocked:
            let old = users[index].blocked
            guard old != new else { return output }
            users[index].blocked = new
            countBlocked(from: old, to: new)
            let contacts = users[index].contacts
            changeRelations(of: target, contacts: (contacts, contacts), blocked: (old, new), into: &output)
            output.durableChanges.append(.blocked(user, ordered))
        case .watch:
            let old = users[index].watch
            guard old != new else { return output }
            let contacts = users[index].contacts
            users[index].watch = new
            changeHeldTargets(of: target, from: SortedIndices.union(contacts, old), to: SortedIndices.union(contacts, new),
                              emit: true, into: &output)
            output.durableChanges.append(.watch(user, ordered))
        }
        return output
    }

    /// Moves `viewer` between the watcher lists of the targets it stops and starts holding,
    /// publishing each new view and deleting each dropped one (when `emit`).
    mutating func changeHeldTargets(
        of viewer: Int32,
        from old: [Int32],
        to new: [Int32],
        emit: Bool,
        into output: inout EngineOutput
    ) {
        let viewerID = users[Int(viewer)].id
        var removed: [Int32] = []
        var added: [Int32] = []
        SortedIndices.difference(from: old, to: new, removed: { removed.append($0) }, added: { added.append($0) })
        var i = 0
        var j = 0
        // One merged walk so the output is in target-index order.
        while i < removed.count || j < added.count {
            if j == added.count || (i < removed.count && removed[i] < added[j]) {
                let target = Int(removed[i])
                i += 1
                if let position = users[target].watchers.firstIndex(of: viewer) {
                    users[target].watchers.remove(at: position)
                    noteUnnamed(Int32(truncatingIfNeeded: target))
                }
                if emit {
                    let previous = currentView(of: Int32(truncatingIfNeeded: target), for: viewer,
                                               basis: basis(of: Int32(truncatingIfNeeded: target)))
                    output.viewChanges.append(.delete(viewer: viewerID, target: users[target].id, previous: previous))
                }
            } else {
                let target = added[j]
                j += 1
                users[Int(target)].watchers.append(viewer)
                if emit {
                    let view = currentView(of: target, for: viewer, basis: basis(of: target))
                    output.viewChanges.append(.publish(viewer: viewerID, target: users[Int(target)].id, view: view, previous: nil))
                }
            }
        }
    }

    /// Republishes the views of `target` held by viewers whose relation to it changed with its
    /// contacts or blocked list (contact gained or lost, blocked or unblocked).
    mutating func changeRelations(
        of target: Int32,
        contacts: (old: [Int32], new: [Int32]),
        blocked: (old: [Int32], new: [Int32]),
        into output: inout EngineOutput
    ) {
        var affected: [Int32] = []
        SortedIndices.difference(from: contacts.old, to: contacts.new, removed: { affected.append($0) }, added: { affected.append($0) })
        SortedIndices.difference(from: blocked.old, to: blocked.new, removed: { affected.append($0) }, added: { affected.append($0) })
        guard !affected.isEmpty else { return }
        affected = SortedIndices.normalised(affected)
        let targetID = users[Int(target)].id
        var targetBasis: ViewBasis?
        func relation(_ viewer: Int32, _ contacts: [Int32], _ blocked: [Int32]) -> ViewerRelation {
            if SortedIndices.contains(blocked, viewer) { return .blocked }
            return SortedIndices.contains(contacts, viewer) ? .contact : .other
        }
        for viewer in affected where holdsView(viewer: viewer, target: target) {
            let before = relation(viewer, contacts.old, blocked.old)
            let after = relation(viewer, contacts.new, blocked.new)
            guard before != after else { continue }
            let basis = targetBasis ?? self.basis(of: target)
            targetBasis = basis
            let named = basis.audience.map { $0.contains(users[Int(viewer)].id) } ?? true
            let newView = basis.view(of: targetID, relation: after, named: named)
            let oldView = basis.view(of: targetID, relation: before, named: named)
            if oldView != newView {
                output.viewChanges.append(.publish(viewer: users[Int(viewer)].id, target: targetID, view: newView, previous: oldView))
            }
        }
    }

    /// Loads durable facts at start-up (settings, lists, last seen, devices lost by liveness),
    /// emitting nothing.
    ///
    /// May be called in batches; a stored last seen never moves one already known backwards.
    /// Users named in lists need not be stored themselves.
    public mutating func restore(_ stored: [StoredUser]) {
        for fact in stored {
            let target = intern(fact.user)
            let index = Int(target)
            users[index].isParticipant = true
            if let lastSeen = fact.lastSeen, lastSeen.millisecondsSinceEpoch > users[index].lastSeen {
                users[index].lastSeen = lastSeen.millisecondsSinceEpoch
                noteKnownStamp(lastSeen.millisecondsSinceEpoch)
            }
            if let settings = fact.settings { users[index].settings = settings }
            var unused = EngineOutput()
            for lost in fact.lostDevices where users[index].deviceIndex(lost.device) == nil {
                let slot = addDevice(lost.device, to: target, into: &unused)
                users[index].devices[slot].session = lost.session
                users[index].devices[slot].platform = lost.platform
                takeOffline(user: target, device: slot, resume: lost.status)
            }
            let contacts = normalisedIndices(fact.contacts, excluding: target)
            let watch = normalisedIndices(fact.watch, excluding: target)
            let blocked = normalisedIndices(fact.blocked, excluding: target)
            countBlocked(from: users[index].blocked, to: blocked)
            users[index].blocked = blocked
            let oldHeld = SortedIndices.union(users[index].contacts, users[index].watch)
            users[index].contacts = contacts
            users[index].watch = watch
            let newHeld = SortedIndices.union(contacts, watch)
            if oldHeld.isEmpty {
                // Start-up: nothing to remove, so register the viewer directly.
                for held in newHeld { users[Int(held)].watchers.append(target) }
            } else {
                changeHeldTargets(of: target, from: oldHeld, to: newHeld, emit: false, into: &unused)
            }
        }
    }

    /// Interned, sorted, without duplicates or `excluded`.
    mutating func normalisedIndices(_ list: [UserID], excluding excluded: Int32) -> [Int32] {
        guard !list.isEmpty else { return [] }
        var indices: [Int32] = []
        indices.reserveCapacity(list.count)
        for id in list {
            let member = intern(id)
            if member != excluded { indices.append(member) }
        }
        return SortedIndices.normalised(indices)
    }
}

extension PresenceEngine {
    /// Handles one popped timer entry, checking it against the device (lazy invalidation).
    mutating func fire(_ entry: TimerEntry, now: Int64, into output: inout EngineOutput) {
        let index = Int(entry.user)
        guard index < users.count, let slot = users[index].deviceIndex(serial: entry.device) else { return }
        switch entry.kind {
        case .liveness:
            let record = users[index].devices[slot]
            guard record.isPresent, record.pendingLoss == .none else {
                users[index].devices[slot].livenessTimerQueued = false
                return
            }
            if record.livenessDeadline > now {
                timers.push(TimerEntry(deadline: record.livenessDeadline, kind: .liveness, user: entry.user,
                                       device: entry.device, token: 0))
                return
            }
            users[index].devices[slot].livenessTimerQueued = false
            startGrace(user: entry.user, device: slot, reason: .liveness,
                       deadline: record.livenessDeadline.addingSaturating(configuration.offlineGraceMilliseconds))
        case .grace:
            let record = users[index].devices[slot]
            guard record.isPresent, record.pendingLoss != .none, record.graceDeadline == entry.deadline else { return }
            let old = basis(of: entry.user)
            takeOffline(user: entry.user, device: slot, resume: record.pendingLoss == .liveness ? record.status : nil)
            output.durableChanges.append(.deviceAbsent(users[index].id, record.id))
            if record.pendingLoss == .liveness, let session = record.session {
                output.durableChanges.append(.deviceLost(users[index].id, LostDevice(device: record.id, session: session, status: record.status, platform: record.platform)))
            }
            finishTargetChange(of: entry.user, from: old, live: false, into: &output)
        case .activity:
            guard let activity = users[index].devices[slot].activity, activity.sequence == entry.token else { return }
            let old = basis(of: entry.user)
            users[index].devices[slot].activity = nil
            finishTargetChange(of: entry.user, from: old, live: false, into: &output)
        }
    }
}

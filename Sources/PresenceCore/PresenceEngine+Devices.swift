/// What a live heartbeat or activity means for the device that sent it.
enum LiveMessageEffect {
    /// Offline (not resumable) or lost by its will: the message changes nothing.
    case ignored
    /// Not offline: the message proves it alive (and cancels a liveness loss in its grace).
    case refreshes
    /// Offline after a liveness loss: the message brings it back in its previous status.
    case resumes
}

extension PresenceEngine {
    /// `in/{user}/{device}/state`.
    mutating func applyDeviceState(
        _ user: UserID,
        _ device: DeviceID,
        _ state: DeviceState,
        live: Bool,
        now: EngineTime
    ) throws(InputRejection) -> EngineOutput {
        let target = intern(user)
        let index = Int(target)
        var output = EngineOutput()
        let existing = users[index].deviceIndex(device)

        if !live, let existing, isReplayOfLostState(state, users[index].devices[existing]) {
            return output  // the retained state of a device lost since: it has not spoken
        }

        if state.status == .offline {
            if let existing, let session = state.session, let current = users[index].devices[existing].session,
                session != current
            {
                return output  // a stale will (or offline) of an older connection
            }
            let proofOfLife = live && !state.isLost
            let old = basis(of: target)
            users[index].isParticipant = true
            if proofOfLife { users[index].latestLive = now.wall }
            if let existing {
                let record = users[index].devices[existing]
                if !record.isPresent {
                    if record.resumeStatus != nil { output.durableChanges.append(.deviceFound(user, device)) }
                    users[index].devices[existing].resumeStatus = nil
                } else if state.isLost && live {
                    switch record.pendingLoss {
                    case .none:
                        startGrace(user: target, device: existing, reason: .will, deadline: now.monotonic.addingSaturating(configuration.offlineGraceMilliseconds))
                    case .liveness:
                        users[index].devices[existing].pendingLoss = .will
                    case .will:
                        break
                    }
                } else {
                    takeOffline(user: target, device: existing, resume: nil)
                    output.durableChanges.append(.deviceAbsent(user, device))
                }
            }
            finishTargetChange(of: target, from: old, live: proofOfLife, into: &output)
            return output
        }

        let wasPresent = existing.map { users[index].devices[$0].status != .offline } ?? false
        if !wasPresent, users[index].presentDeviceCount >= configuration.maxDevicesPerUser {
            throw .tooManyDevices(device, of: user, limit: configuration.maxDevicesPerUser)
        }
        let old = basis(of: target)
        users[index].isParticipant = true
        let slot = existing ?? addDevice(device, to: target, into: &output)
        if live { users[index].latestLive = now.wall }
        if users[index].devices[slot].resumeStatus != nil { output.durableChanges.append(.deviceFound(user, device)) }
        let deadline = now.monotonic.addingSaturating(livenessWindow)
        let before = users[index].devices[slot]
        modifyDevice(user: index, slot: slot) { record in
            record.status = state.status
            if record.session != state.session { record.session = state.session }
            if record.platform != state.platform { record.platform = state.platform }
            record.pendingLoss = .none
            record.graceDeadline = .max
            record.resumeStatus = nil
            record.livenessDeadline = deadline
        }
        ensureLivenessTimer(user: target, device: slot)
        if !wasPresent || before.status != state.status || before.session != state.session || before.platform != state.platform {
            output.durableChanges.append(.devicePresent(user, users[index].devices[slot].snapshot))
            if live { output.durableChanges.append(.seenLive(user, Timestamp(millisecondsSinceEpoch: now.wall))) }
        }
        finishTargetChange(of: target, from: old, live: live, into: &output)
        return output
    }

    /// `in/{user}/{device}/heartbeat`: the hot path; for a device that is online it only moves a deadline.
    mutating func applyHeartbeat(
        _ user: UserID,
        _ device: DeviceID,
        session: String?,
        live: Bool,
        now: EngineTime
    ) throws(InputRejection) -> EngineOutput {
        guard live, let target = indexByID[user] else { return EngineOutput() }
        let index = Int(target)
        guard let slot = users[index].deviceIndex(device) else { return EngineOutput() }
        if let session, let current = users[index].devices[slot].session, session != current {
            return EngineOutput()  // another connection's heartbeat
        }
        switch liveMessageEffect(user: index, device: slot) {
        case .ignored:
            return EngineOutput()
        case .refreshes:
            markAlive(user: index, device: slot, now: now)
            return EngineOutput()
        case .resumes:
            var output = EngineOutput()
            try resume(user: target, device: slot, now: now, into: &output) { _ in }
            return output
        }
    }

    /// `in/{user}/{device}/activity`; nil = idle.
    mutating func applyActivity(
        _ user: UserID,
        _ device: DeviceID,
        _ activity: Activity?,
        live: Bool,
        now: EngineTime
    ) throws(InputRejection) -> EngineOutput {
        guard let target = indexByID[user] else { return EngineOutput() }
        let index = Int(target)
        guard let slot = users[index].deviceIndex(device) else { return EngineOutput() }
        var output = EngineOutput()
        switch liveMessageEffect(user: index, device: slot) {
        case .ignored:
            return output
        case .resumes:
            guard live else { return output }
            try resume(user: target, device: slot, now: now, into: &output) { engine in
                engine.setActivity(activity, user: target, device: slot, now: now)
            }
        case .refreshes:
            let old = basis(of: target)
            if live { markAlive(user: index, device: slot, now: now) }
            setActivity(activity, user: target, device: slot, now: now)
            finishTargetChange(of: target, from: old, live: live, into: &output)
        }
        return output
    }

    /// Mutates one device record in place (one uniqueness check per level, no copy).
    @inline(__always)
    mutating func modifyDevice(user index: Int, slot: Int, _ body: (inout DeviceRecord) -> Void) {
        body(&users[index].devices[slot])
    }

    @inline(__always)
    func liveMessageEffect(user index: Int, device slot: Int) -> LiveMessageEffect {
        let status = users[index].devices[slot].status
        if status != .offline {
            return users[index].devices[slot].pendingLoss == .will ? .ignored : .refreshes
        }
        return users[index].devices[slot].resumeStatus == nil ? .ignored : .resumes
    }

    /// A live message from a device not offline: push its liveness deadline (no heap push),
    /// cancel a liveness loss in its grace (no visible change).
    @inline(__always)
    mutating func markAlive(user index: Int, device slot: Int, now: EngineTime) {
        users[index].devices[slot].livenessDeadline = now.monotonic &+ livenessWindow
        users[index].latestLive = now.wall
        if users[index].devices[slot].pendingLoss == .liveness {
            users[index].devices[slot].pendingLoss = .none
            users[index].devices[slot].graceDeadline = .max
            ensureLivenessTimer(user: Int32(truncatingIfNeeded: index), device: slot)  // the lost entry was consumed
        }
    }

    /// Brings a device lost by liveness back in its previous status, then runs `more`.
    mutating func resume(
        user target: Int32,
        device slot: Int,
        now: EngineTime,
        into output: inout EngineOutput,
        then more: (inout PresenceEngine) -> Void
    ) throws(InputRejection) {
        let index = Int(target)
        guard users[index].presentDeviceCount < configuration.maxDevicesPerUser else {
            throw .tooManyDevices(users[index].devices[slot].id, of: users[index].id, limit: configuration.maxDevicesPerUser)
        }
        let old = basis(of: target)
        users[index].devices[slot].status = users[index].devices[slot].resumeStatus ?? .online
        users[index].devices[slot].resumeStatus = nil
        output.durableChanges.append(.deviceFound(users[index].id, users[index].devices[slot].id))
        output.durableChanges.append(.devicePresent(users[index].id, users[index].devices[slot].snapshot))
        output.durableChanges.append(.seenLive(users[index].id, Timestamp(millisecondsSinceEpoch: now.wall)))
        markAlive(user: index, device: slot, now: now)
        ensureLivenessTimer(user: target, device: slot)
        more(&self)
        finishTargetChange(of: target, from: old, live: true, into: &output)
    }

    /// Sets or clears (nil) the device's activity, with its lease.
    mutating func setActivity(_ activity: Activity?, user target: Int32, device slot: Int, now: EngineTime) {
        let index = Int(target)
        guard let activity else {
            users[index].devices[slot].activity = nil
            return
        }
        activitySequence &+= 1
        let ttl = activity.ttlMilliseconds ?? configuration.activityTTLMilliseconds
        let expiresAt: Int64 = ttl <= 0 ? .max : now.monotonic.addingSaturating(ttl)
        users[index].devices[slot].activity = DeviceActivity(
            kind: activity.kind,
            detail: activity.detail,
            audience: activity.audience,
            expiresAt: expiresAt,
            sequence: activitySequence
        )
        if expiresAt != .max {
            timers.push(TimerEntry(deadline: expiresAt, kind: .activity, user: target,
                                   device: users[index].devices[slot].serial, token: activitySequence))
        }
    }

    /// A retained (non-live) state identical to what a device lost by liveness last said, from
    /// the same session: the device has not spoken since it was lost, so the replay is no news.
    func isReplayOfLostState(_ state: DeviceState, _ record: DeviceRecord) -> Bool {
        guard let session = state.session, record.session == session, state.status != .offline else { return false }
        if record.status == .offline { return record.resumeStatus == state.status }
        return record.pendingLoss == .liveness && record.status == state.status
    }

    /// Adds a record for a new device (sorted by id), evicting the oldest offline record when full.
    mutating func addDevice(_ device: DeviceID, to target: Int32, into output: inout EngineOutput) -> Int {
        let index = Int(target)
        while users[index].devices.count >= configuration.maxDevicesPerUser {
            var oldest: Int?
            for (slot, record) in users[index].devices.enumerated() where !record.isPresent {
                if let current = oldest, users[index].devices[current].offlineOrder <= record.offlineOrder { continue }
                oldest = slot
            }
            guard let oldest else { break }
            let evicted = users[index].devices.remove(at: oldest)
            if evicted.resumeStatus != nil { output.durableChanges.append(.deviceFound(users[index].id, evicted.id)) }
        }
        nextDeviceSerial &+= 1
        let record = DeviceRecord(id: device, serial: nextDeviceSerial)
        let position = users[index].devices.firstIndex { $0.id > device } ?? users[index].devices.count
        users[index].devices.insert(record, at: position)
        return position
    }

    /// Starts the offline grace of a lost device: it keeps showing its status until `deadline`.
    mutating func startGrace(user target: Int32, device slot: Int, reason: PendingLoss, deadline: Int64) {
        let index = Int(target)
        users[index].devices[slot].pendingLoss = reason
        users[index].devices[slot].graceDeadline = deadline
        timers.push(TimerEntry(deadline: deadline, kind: .grace, user: target,
                               device: users[index].devices[slot].serial, token: 0))
    }

    /// Makes a device effectively offline: its activity clears; `resume` is kept for a liveness loss.
    mutating func takeOffline(user target: Int32, device slot: Int, resume: DeviceStatus?) {
        let index = Int(target)
        offlineSequence &+= 1
        users[index].devices[slot].status = .offline
        users[index].devices[slot].pendingLoss = .none
        users[index].devices[slot].graceDeadline = .max
        users[index].devices[slot].activity = nil
        users[index].devices[slot].resumeStatus = resume
        users[index].devices[slot].offlineOrder = offlineSequence
    }

    /// Makes sure the heap holds a liveness entry for the device (at most one at a time).
    mutating func ensureLivenessTimer(user target: Int32, device slot: Int) {
        let index = Int(target)
        guard !users[index].devices[slot].livenessTimerQueued else { return }
        users[index].devices[slot].livenessTimerQueued = true
        timers.push(TimerEntry(deadline: users[index].devices[slot].livenessDeadline, kind: .liveness, user: target,
                               device: users[index].devices[slot].serial, token: 0))
    }
}

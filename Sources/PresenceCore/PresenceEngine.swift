/// The presence state machine: every rule of the wire contract, pure and deterministic.
///
/// Inputs (already decoded and validated) and clock ticks go in with the times from the
/// caller's clocks; view changes and durable facts come out. No I/O, no clock, no MQTT.
/// Deadlines are on the caller's monotonic clock (`MonotonicInstant`), stamps (`lastSeen`) on
/// its wall clock (`Timestamp`), never below a stamp already given or known (``stamp(_:)``).
/// Views are not stored: a view is a function of the target's state and the viewer's
/// relation to it (self, blocked, contact, other, and whether an activity's `to` names it),
/// so a change costs the viewers it reaches, not the number of users.
///
/// Timers: call ``tick(at:)`` when ``nextDeadline`` is reached. `apply` does not fire
/// overdue timers itself; a live message that arrives before an overdue tick simply
/// counts (the device was alive after all).
public struct PresenceEngine: Sendable {
    /// The timing rules and limits in force.
    public let configuration: EngineConfiguration

    /// Interned user ids: a user's index into `users`.
    var indexByID: [UserID: Int32] = [:]
    var users: [UserRecord] = []
    var timers = TimerHeap()
    var nextDeviceSerial: UInt32 = 0
    var activitySequence: UInt64 = 0
    var offlineSequence: UInt64 = 0
    /// Indices of forgotten users, free for the next new id (see `PresenceEngine+Forgetting`).
    var freeIndices: [Int32] = []
    /// Users that may have become forgettable since the last ``forgetUnlistedUsers(keeping:)``.
    var forgetCandidates: Set<Int32> = []
    /// Indices given to another id or freed since the last ``takeNumberingChanges()``, in order.
    var numberingChanges: [NumberingChange] = []
    /// The latest wall-clock stamp given or known (`Int64.min`: none): see ``stamp(_:)``.
    var stampFloor: Int64 = .min
    let livenessWindow: Int64

    /// An empty engine: no users, no timers.
    public init(configuration: EngineConfiguration = .init()) {
        self.configuration = configuration
        livenessWindow = configuration.livenessWindowMilliseconds
    }

    /// Applies one input received at `now` and returns what changed.
    ///
    /// `live` = delivered with RETAIN 0 (proves the device alive); false = a retained replay,
    /// which restores state only. Throws (changing nothing) for a device that would be one too
    /// many for its user.
    public mutating func apply(
        _ input: PresenceInput,
        live: Bool,
        at now: ClockReading
    ) throws(InputRejection) -> EngineOutput {
        let time = EngineTime(monotonic: now.instant.milliseconds, wall: stamp(now.wall))
        switch input {
        case .heartbeat(let user, let device, let session):
            return try applyHeartbeat(user, device, session: session, live: live, now: time)
        case .deviceState(let user, let device, let state):
            return try applyDeviceState(user, device, state, live: live, now: time)
        case .activity(let user, let device, let activity):
            return try applyActivity(user, device, activity, live: live, now: time)
        case .settings(let user, let update):
            return applySettings(user, update)
        case .contacts(let user, let list):
            return replaceList(.contacts, of: user, with: list)
        case .blocked(let user, let list):
            return replaceList(.blocked, of: user, with: list)
        case .watch(let user, let list):
            return replaceList(.watch, of: user, with: list)
        }
    }

    /// Fires every timer due at or before `now` (liveness, offline grace, activity leases).
    ///
    /// A lost device's grace counts from the moment it was due to be lost, so a late tick
    /// gives the same result as a punctual one.
    public mutating func tick(at now: MonotonicInstant) -> EngineOutput {
        var output = EngineOutput()
        let time = now.milliseconds
        while let top = timers.first, top.deadline <= time {
            _ = timers.popFirst()
            fire(top, now: time, into: &output)
        }
        return output
    }

    /// The earliest pending timer, nil if none; it may fire as a no-op (never late, may be early).
    public var nextDeadline: MonotonicInstant? {
        timers.first.map { MonotonicInstant(milliseconds: $0.deadline) }
    }

    /// Gauges: participants, ids interned, devices not offline, pending timer entries.
    public var statistics: EngineStatistics {
        var present = 0
        var participants = 0
        for user in users {
            present += user.presentDeviceCount
            if user.isParticipant { participants += 1 }
        }
        return EngineStatistics(usersKnown: participants, internedIDs: indexByID.count, devicesNotOffline: present,
                                pendingTimers: timers.count)
    }

    /// Interns `ids` in order, so that `ids[i]` gets index `i`: a store that keeps the ids of a
    /// previous engine gives a fresh one the same numbering; nil is a free index (a user
    /// forgotten). Call first, on an empty engine (ids already known are skipped, and the
    /// numbering is then the engine's own). Every user restored so is a candidate to forget.
    public mutating func restoreIndices(_ ids: [UserID?]) {
        users.reserveCapacity(ids.count)
        for id in ids {
            if let id {
                forgetCandidates.insert(intern(id))
            } else {
                freeIndices.append(Int32(truncatingIfNeeded: users.count))
                users.append(UserRecord(id: UserRecord.freeSlotID))
            }
        }
        freeIndices.reverse()  // the lowest first
        numberingChanges.removeAll()
    }

    /// How many user slots the engine has: indices are `0..<userCount`; a forgotten user's index
    /// is free (its slot holds nothing) until a new id takes it.
    public var userCount: Int { users.count }

    /// How many ids the engine knows now (slots minus free ones): what forgetting bounds.
    public var internedIDs: Int { indexByID.count }

    /// The id at a user index (`0..<userCount`).
    public func userID(at index: Int32) -> UserID { users[Int(index)].id }

    /// The index of a user the engine knows; nil for one it has never seen.
    public func userIndex(of id: UserID) -> Int32? { indexByID[id] }

    /// The index of `id`, creating an empty user when new (in a free index if there is one).
    mutating func intern(_ id: UserID) -> Int32 {
        if let index = indexByID[id] { return index }
        if let index = freeIndices.popLast() {
            users[Int(index)] = UserRecord(id: id)
            indexByID[id] = index
            numberingChanges.append(NumberingChange(index: index, id: id))
            return index
        }
        let index = Int32(truncatingIfNeeded: users.count)
        users.append(UserRecord(id: id))
        indexByID[id] = index
        return index
    }
}

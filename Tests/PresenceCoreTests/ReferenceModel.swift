import PresenceCore

/// A deliberately plain model of the protocol: dictionaries keyed by id text, no interning,
/// no heap, no reverse index, no incremental diffs. Timers are found by scanning every device;
/// views are recomputed from scratch.
struct ReferenceModel {
    enum LossKind { case will, liveness }

    struct Device {
        var serial: Int
        var status: DeviceStatus = .offline
        var session: String?
        var platform: String?
        var deadline: Int64 = .max
        var loss: (kind: LossKind, end: Int64)?
        var resume: DeviceStatus?
        var activity: (activity: Activity, expires: Int64, order: Int)?
        var offlineOrder = 0
    }

    let configuration: EngineConfiguration
    var participants: Set<UserID> = []
    var settings: [UserID: PrivacySettings] = [:]
    var contacts: [UserID: Set<UserID>] = [:]
    var blocked: [UserID: Set<UserID>] = [:]
    var watch: [UserID: Set<UserID>] = [:]
    var lastSeen: [UserID: Int64] = [:]
    var latestLive: [UserID: Int64] = [:]
    var devices: [UserID: [DeviceID: Device]] = [:]
    var counter = 0
    /// How often each rule fired, to show the random walk reaches them all.
    var coverage: [String: Int] = [:]

    init(configuration: EngineConfiguration) { self.configuration = configuration }

    var window: Int64 { configuration.heartbeatIntervalMilliseconds * 5 / 2 }

    mutating func nextOrder() -> Int { counter += 1; return counter }

    // MARK: Inputs

    mutating func restore(_ stored: [StoredUser]) {
        for fact in stored {
            participants.insert(fact.user)
            if let seen = fact.lastSeen { lastSeen[fact.user] = max(lastSeen[fact.user] ?? .min, seen.millisecondsSinceEpoch) }
            if let value = fact.settings { settings[fact.user] = value }
            contacts[fact.user] = Set(fact.contacts).subtracting([fact.user])
            blocked[fact.user] = Set(fact.blocked).subtracting([fact.user])
            watch[fact.user] = Set(fact.watch).subtracting([fact.user])
        }
    }

    mutating func apply(_ input: PresenceInput, live: Bool, now: Int64) throws(InputRejection) {
        switch input {
        case .deviceState(let user, let id, let state):
            try applyState(user, id, state, live: live, now: now)
        case .heartbeat(let user, let id, let session):
            guard live, var device = devices[user]?[id] else { return }
            if let session, let current = device.session, session != current { return }
            if device.status != .offline {
                if device.loss?.kind == .will { return }
                if device.loss != nil { coverage["liveness loss cancelled", default: 0] += 1 }
                device.loss = nil
                device.deadline = now + window
                latestLive[user] = now
                devices[user]?[id] = device
            } else if let resume = device.resume {
                guard presentCount(user) < configuration.maxDevicesPerUser else {
                    throw InputRejection(.tooManyDevices, "", user: nil)
                }
                coverage["resumed by heartbeat", default: 0] += 1
                change(user, live: true) { model in
                    device.status = resume
                    device.resume = nil
                    device.deadline = now + model.window
                    model.latestLive[user] = now
                    model.devices[user]?[id] = device
                }
            }
        case .activity(let user, let id, let activity):
            guard var device = devices[user]?[id] else { return }
            if device.status == .offline {
                guard live, let resume = device.resume else { return }
                guard presentCount(user) < configuration.maxDevicesPerUser else {
                    throw InputRejection(.tooManyDevices, "", user: nil)
                }
                change(user, live: true) { model in
                    device.status = resume
                    device.resume = nil
                    device.deadline = now + model.window
                    model.latestLive[user] = now
                    model.setActivity(&device, activity, now: now)
                    model.devices[user]?[id] = device
                }
                return
            }
            if device.loss?.kind == .will { return }
            change(user, live: live) { model in
                if live {
                    device.loss = nil
                    device.deadline = now + model.window
                    model.latestLive[user] = now
                }
                model.setActivity(&device, activity, now: now)
                model.devices[user]?[id] = device
            }
        case .settings(let user, let update):
            participants.insert(user)
            settings[user] = (settings[user] ?? .defaults).updated(with: update)
        case .contacts(let user, let list):
            participants.insert(user)
            contacts[user] = Set(list).subtracting([user])
        case .blocked(let user, let list):
            participants.insert(user)
            blocked[user] = Set(list).subtracting([user])
        case .watch(let user, let list):
            participants.insert(user)
            watch[user] = Set(list).subtracting([user])
        }
    }

    mutating func applyState(_ user: UserID, _ id: DeviceID, _ state: DeviceState, live: Bool, now: Int64) throws(InputRejection) {
        let existing = devices[user]?[id]
        if !live, let existing, let session = state.session, existing.session == session, state.status != .offline,
           existing.status == .offline ? existing.resume == state.status
                                       : existing.loss?.kind == .liveness && existing.status == state.status {
            coverage["replay of a lost device ignored", default: 0] += 1
            return
        }
        if state.status == .offline {
            if let existing, let session = state.session, let current = existing.session, session != current {
                coverage["stale offline ignored", default: 0] += 1
                return
            }
            participants.insert(user)
            let proof = live && !state.isLost
            change(user, live: proof) { model in
                if proof { model.latestLive[user] = now }
                guard var device = existing else { return }
                if device.status == .offline {
                    device.resume = nil
                } else if state.isLost && live {
                    if device.loss == nil {
                        model.coverage["will grace started", default: 0] += 1
                        device.loss = (.will, now + model.configuration.offlineGraceMilliseconds)
                    } else {
                        device.loss?.kind = .will
                    }
                } else {
                    model.goOffline(&device, resume: nil)
                }
                model.devices[user]?[id] = device
            }
            return
        }
        if existing?.loss != nil { coverage["reconnect within grace", default: 0] += 1 }
        if existing == nil || existing?.status == .offline, presentCount(user) >= configuration.maxDevicesPerUser {
            coverage["too many devices", default: 0] += 1
            throw InputRejection(.tooManyDevices, "", user: nil)
        }
        participants.insert(user)
        change(user, live: live) { model in
            var device: Device
            if let existing {
                device = existing
            } else {
                var list = model.devices[user] ?? [:]
                while list.count >= model.configuration.maxDevicesPerUser,
                    let oldest = list.filter({ $0.value.status == .offline }).min(by: { $0.value.offlineOrder < $1.value.offlineOrder })
                {
                    model.coverage["offline device evicted", default: 0] += 1
                    list[oldest.key] = nil
                }
                model.devices[user] = list
                device = Device(serial: model.nextOrder())
            }
            if live { model.latestLive[user] = now }
            device.status = state.status
            device.session = state.session
            device.platform = state.platform
            device.loss = nil
            device.resume = nil
            device.deadline = now + model.window
            model.devices[user, default: [:]][id] = device
        }
    }

    mutating func setActivity(_ device: inout Device, _ activity: Activity?, now: Int64) {
        guard let activity else { device.activity = nil; return }
        let ttl = activity.ttlMilliseconds ?? configuration.activityTTLMilliseconds
        device.activity = (activity, ttl <= 0 ? .max : now + ttl, nextOrder())
    }

    mutating func goOffline(_ device: inout Device, resume: DeviceStatus?) {
        device.status = .offline
        device.loss = nil
        device.activity = nil
        device.resume = resume
        device.offlineOrder = nextOrder()
    }

    /// Runs `body` and applies the last-seen rule to the user's presence before and after it.
    mutating func change(_ user: UserID, live: Bool, _ body: (inout ReferenceModel) -> Void) {
        let wasPresent = isPresent(user)
        body(&self)
        let nowPresent = isPresent(user)
        if wasPresent, !nowPresent, let latest = latestLive[user], latest > (lastSeen[user] ?? .min) {
            coverage["last seen moved", default: 0] += 1
            lastSeen[user] = latest
        } else if !wasPresent, nowPresent, !live {
            latestLive[user] = nil
        }
    }

    // MARK: Time

    /// The earliest timer event that is due, as (time, kind, serial, user, device).
    func earliestEvent() -> (time: Int64, kind: Int, serial: Int, user: UserID, device: DeviceID)? {
        var best: (time: Int64, kind: Int, serial: Int, user: UserID, device: DeviceID)?
        func consider(_ time: Int64, _ kind: Int, _ serial: Int, _ user: UserID, _ device: DeviceID) {
            if let current = best, (current.time, current.kind, current.serial) <= (time, kind, serial) { return }
            best = (time, kind, serial, user, device)
        }
        for (user, list) in devices {
            for (id, device) in list where device.status != .offline {
                if device.loss == nil { consider(device.deadline, 0, device.serial, user, id) }
                if let loss = device.loss { consider(loss.end, 1, device.serial, user, id) }
                if let activity = device.activity, activity.expires != .max { consider(activity.expires, 2, device.serial, user, id) }
            }
        }
        return best
    }

    mutating func tick(now: Int64) {
        while let event = earliestEvent(), event.time <= now {
            guard var device = devices[event.user]?[event.device] else { return }
            switch event.kind {
            case 0:
                coverage["liveness loss", default: 0] += 1
                device.loss = (.liveness, device.deadline + configuration.offlineGraceMilliseconds)
                devices[event.user]?[event.device] = device
            case 1:
                change(event.user, live: false) { model in
                    model.goOffline(&device, resume: device.loss?.kind == .liveness ? device.status : nil)
                    model.devices[event.user]?[event.device] = device
                }
            default:
                coverage["activity expired", default: 0] += 1
                change(event.user, live: false) { model in
                    device.activity = nil
                    model.devices[event.user]?[event.device] = device
                }
            }
        }
    }

    // MARK: Views

    func presentCount(_ user: UserID) -> Int {
        (devices[user] ?? [:]).values.filter { $0.status != .offline }.count
    }

    func isPresent(_ user: UserID) -> Bool {
        let shown = (devices[user] ?? [:]).values.filter { $0.status != .offline }
        if shown.contains(where: { $0.status == .invisible }) { return false }
        return shown.contains { $0.status == .online || $0.status == .away }
    }

    /// Every view that should exist, recomputed from scratch.
    func allViews() -> [ViewKey: View] {
        var views: [ViewKey: View] = [:]
        for viewer in participants {
            views[ViewKey(viewer: viewer, target: viewer)] = view(of: viewer, for: viewer)
            for target in (contacts[viewer] ?? []).union(watch[viewer] ?? []) {
                views[ViewKey(viewer: viewer, target: target)] = view(of: target, for: viewer)
            }
        }
        return views
    }

    func view(of target: UserID, for viewer: UserID) -> View {
        let shown = (devices[target] ?? [:]).filter { $0.value.status != .offline }.sorted { $0.key < $1.key }
        let list = shown.map { DeviceView(id: $0.key, platform: $0.value.platform, status: $0.value.status) }
        let invisible = shown.contains { $0.value.status == .invisible }
        let status: DeviceStatus = shown.contains { $0.value.status == .online } ? .online
            : shown.contains { $0.value.status == .away } ? .away : .offline
        let current = shown.compactMap(\.value.activity).max { $0.order < $1.order }?.activity
        let seen = lastSeen[target].map { Timestamp(millisecondsSinceEpoch: $0) }
        let shownActivity = current.map { ActivityView(kind: $0.kind, detail: $0.detail) }
        if viewer == target {
            return View(user: target, status: invisible ? .invisible : status, lastSeen: seen, activity: shownActivity, devices: list)
        }
        if blocked[target]?.contains(viewer) == true { return View(user: target) }
        let isContact = contacts[target]?.contains(viewer) == true
        let rules = settings[target] ?? .defaults
        func allowed(_ audience: Audience) -> Bool {
            switch audience {
            case .everyone: true
            case .contacts: isContact
            case .nobody: false
            }
        }
        var view = View(user: target)
        if allowed(rules.showOnlineStatus) {
            view.status = invisible ? .offline : status
            view.devices = invisible ? [] : list
        }
        if allowed(rules.showLastSeen) { view.lastSeen = seen }
        if allowed(rules.showActivity), !invisible, let current, current.audience?.contains(viewer) ?? true {
            view.activity = shownActivity
        }
        return view
    }
}

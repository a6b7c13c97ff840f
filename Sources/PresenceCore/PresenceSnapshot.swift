/// A user's present devices and latest live message, to carry presence over a restart or a
/// broker reconnect.
///
/// Without it a fresh engine knows no device until the broker replays the retained states, so
/// a will that fired during the gap finds no device to take offline and the user's last seen
/// stays at their previous offline. With it, the replayed will takes a known device offline
/// and last seen becomes the time of the last live message before the gap, as if there had
/// been no gap.
public struct PresenceSnapshot: Sendable, Equatable {
    public var user: UserID
    /// The time of the user's latest live message, when one is known.
    public var latestLive: Timestamp?
    /// The devices that were not offline (those in their offline grace included).
    public var devices: [DeviceSnapshot]

    public init(user: UserID, latestLive: Timestamp?, devices: [DeviceSnapshot]) {
        self.user = user
        self.latestLive = latestLive
        self.devices = devices
    }
}

/// One present device in a `PresenceSnapshot`.
public struct DeviceSnapshot: Sendable, Equatable {
    public var device: DeviceID
    public var status: DeviceStatus
    public var session: String?
    public var platform: String?

    public init(device: DeviceID, status: DeviceStatus, session: String?, platform: String?) {
        self.device = device
        self.status = status
        self.session = session
        self.platform = platform
    }
}

extension PresenceEngine {
    /// Every user with a device that is not offline, with their devices and latest live message.
    public func presenceSnapshot() -> [PresenceSnapshot] {
        var snapshot: [PresenceSnapshot] = []
        for user in users where user.presentDeviceCount > 0 {
            let devices = user.devices.filter(\.isPresent).map {
                $0.snapshot
            }
            let latest = user.latestLive == .min ? nil : Timestamp(millisecondsSinceEpoch: user.latestLive)
            snapshot.append(PresenceSnapshot(user: user.id, latestLive: latest, devices: devices))
        }
        return snapshot
    }

    /// Puts the devices of a snapshot back, emitting nothing: for a fresh engine, after
    /// `restore` and before the broker's retained replay.
    ///
    /// Each device is present again with its liveness counted from `now` (it has had no chance
    /// to speak to this engine yet); the user's latest live message is what it was. A device the
    /// engine already knows is left alone, as are devices over the per-user limit.
    public mutating func restorePresence(_ snapshot: [PresenceSnapshot], at now: MonotonicInstant) {
        var unused = EngineOutput()
        let deadline = now.milliseconds.addingSaturating(livenessWindow)
        for presence in snapshot {
            let target = intern(presence.user)
            let index = Int(target)
            users[index].isParticipant = true
            if let latest = presence.latestLive?.millisecondsSinceEpoch, latest > users[index].latestLive {
                users[index].latestLive = latest
                noteKnownStamp(latest)
            }
            for device in presence.devices where device.status != .offline && users[index].deviceIndex(device.device) == nil {
                guard users[index].presentDeviceCount < configuration.maxDevicesPerUser else { break }
                let slot = addDevice(device.device, to: target, into: &unused)
                modifyDevice(user: index, slot: slot) { record in
                    record.status = device.status
                    record.session = device.session
                    record.platform = device.platform
                    record.livenessDeadline = deadline
                }
                ensureLivenessTimer(user: target, device: slot)
            }
        }
    }
}

extension PresenceEngine {
    /// Takes a last-seen time that viewers were shown (read back from a retained self view)
    /// where the engine knows no later one: a bridge that lost its store never erases a
    /// last-seen time viewers have seen. Emits the durable fact and no view (the
    /// reconciliation that follows publishes what differs).
    public mutating func adoptPublishedLastSeen(_ user: UserID, _ time: Timestamp) -> EngineOutput {
        let index = Int(intern(user))
        let milliseconds = time.millisecondsSinceEpoch
        guard milliseconds > users[index].lastSeen else { return EngineOutput() }
        users[index].lastSeen = milliseconds
        noteKnownStamp(milliseconds)
        return EngineOutput(durableChanges: [.lastSeen(user, time)])
    }
}

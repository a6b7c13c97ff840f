import PresenceCore

/// What the app wants the broker to hold, kept across connections.
///
/// The status is republished on every connection. Settings and lists are kept here until the
/// broker's copy, read back on `in/{user}/+`, equals what was sent: a publish lost with its
/// connection (each connection is a new client, so libmosquitto cannot retry it) is sent again
/// on the next one, and a confirmed list is never resent (so a newer list set by another device
/// is not overwritten by a stale copy). Settings updates merge into one pending update, newest
/// values winning, that is sent whole each time. The activity is republished on a new
/// connection only while its lease lasts.
struct DesiredPresence {
    var status: DeviceStatus
    var activity: Activity?
    var activitySetAt: ContinuousClock.Instant?
    /// The activity (or idle) was not sent yet.
    var activityPending = false
    var pendingSettings: PrivacySettingsUpdate?
    var pendingLists: [ListKind: [UserID]] = [:]

    init(status: DeviceStatus) {
        self.status = status
    }

    /// Adds `update` to the settings not yet confirmed (later values win).
    mutating func queue(_ update: PrivacySettingsUpdate) {
        let previous = pendingSettings ?? PrivacySettingsUpdate()
        pendingSettings = PrivacySettingsUpdate(
            showOnlineStatus: update.showOnlineStatus ?? previous.showOnlineStatus,
            showLastSeen: update.showLastSeen ?? previous.showLastSeen,
            showActivity: update.showActivity ?? previous.showActivity)
    }

    /// The activity to send on a new connection and its remaining lease in ms (nil lease = the
    /// bridge's default), or nil when there is nothing to send.
    ///
    /// Sent: a pending change (idle included), or an activity still in force: `ttl` 0 (until
    /// replaced) or an explicit lease not yet over. An activity with the bridge's default lease
    /// (a few seconds) is not repeated: the app's next keystroke renews it.
    func activityToRestore(now: ContinuousClock.Instant) -> (activity: Activity?, ttl: Int64?)? {
        guard let activity else { return activityPending ? (nil, nil) : nil }
        guard let ttl = activity.ttlMilliseconds else { return activityPending ? (activity, nil) : nil }
        if ttl <= 0 { return (activity, 0) }
        let elapsed = activitySetAt.map { now - $0 } ?? .zero
        let remaining = ttl - Int64(elapsed.components.seconds) * 1000 - elapsed.components.attoseconds / 1_000_000_000_000_000
        return remaining > 0 ? (activity, remaining) : nil
    }
}

extension Activity {
    /// This activity with `ttl` as its lease (nil = the bridge's default), to resend what is left of it.
    func leased(_ ttl: Int64?) -> Activity {
        var activity = self
        activity.ttlMilliseconds = ttl
        return activity
    }
}

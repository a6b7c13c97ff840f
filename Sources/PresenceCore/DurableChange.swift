/// A durable fact that changed, for the store to persist before the views that show it go out.
public enum DurableChange: Sendable, Equatable {
    /// The user's last-seen time moved (only ever forwards).
    case lastSeen(UserID, Timestamp)
    /// The user's full settings after an update.
    case settings(UserID, PrivacySettings)
    /// The user's normalised contacts (input order, duplicates and self removed).
    case contacts(UserID, [UserID])
    /// The user's normalised blocked list.
    case blocked(UserID, [UserID])
    /// The user's normalised watch list.
    case watch(UserID, [UserID])
    /// A device was lost by liveness (at the end of its grace); remember it until it speaks.
    case deviceLost(UserID, LostDevice)
    /// A lost device spoke, published a new state, or was forgotten: no longer lost.
    case deviceFound(UserID, DeviceID)
    /// A device is present (not offline) in this status, session and platform, or changed one
    /// of them. Kept so that a restart after a crash knows each device's current session (a
    /// stale will the broker now holds as the retained state stays harmless) and that it is there.
    case devicePresent(UserID, DeviceSnapshot)
    /// A present device went offline (after any grace): no longer present.
    case deviceAbsent(UserID, DeviceID)
    /// The user's latest live message as of a live state change (heartbeats are not written):
    /// after a crash, the best known time the user was seen alive, for the last seen of a
    /// device whose will came while the bridge was down.
    case seenLive(UserID, Timestamp)
}

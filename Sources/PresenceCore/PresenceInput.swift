/// One decoded and validated input; identity comes from the topic.
public enum PresenceInput: Sendable, Equatable {
    /// `in/{user}/{device}/state`; an empty retained payload arrives as `.offline`, no session, not lost.
    case deviceState(UserID, DeviceID, DeviceState)
    /// `in/{user}/{device}/heartbeat`: liveness only, with the connection's session if sent.
    case heartbeat(UserID, DeviceID, session: String?)
    /// `in/{user}/{device}/activity`; nil = idle or an empty payload.
    case activity(UserID, DeviceID, Activity?)
    /// `in/{user}/settings`: missing keys keep their value.
    case settings(UserID, PrivacySettingsUpdate)
    /// `in/{user}/contacts`: replaces the list whole; duplicates and the user's own id are ignored.
    case contacts(UserID, [UserID])
    /// `in/{user}/blocked`: replaces the list whole; duplicates and the user's own id are ignored.
    case blocked(UserID, [UserID])
    /// `in/{user}/watch`: replaces the list whole; duplicates and the user's own id are ignored.
    case watch(UserID, [UserID])
}

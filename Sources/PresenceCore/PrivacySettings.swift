/// Who may see one field of a user's view.
public enum Audience: String, Sendable, Hashable, CaseIterable {
    /// Any viewer.
    case everyone
    /// Viewers in the user's contacts.
    case contacts
    /// No one but the user itself.
    case nobody
}

/// A user's privacy settings, one audience per field of the view.
///
/// A blocked viewer sees nothing whatever these say; the user's own view is never filtered.
public struct PrivacySettings: Sendable, Equatable, Hashable {
    /// Who sees `status` and `devices`.
    public var showOnlineStatus: Audience
    /// Who sees `lastSeen`.
    public var showLastSeen: Audience
    /// Who sees `activity`.
    public var showActivity: Audience

    /// Settings with every field given.
    public init(showOnlineStatus: Audience, showLastSeen: Audience, showActivity: Audience) {
        self.showOnlineStatus = showOnlineStatus
        self.showLastSeen = showLastSeen
        self.showActivity = showActivity
    }

    /// What a user has before publishing any settings: everyone / contacts / contacts.
    public static let defaults = PrivacySettings(showOnlineStatus: .everyone, showLastSeen: .contacts, showActivity: .contacts)

    /// These settings with every key present in `update` replaced; missing keys keep their value.
    public func updated(with update: PrivacySettingsUpdate) -> PrivacySettings {
        PrivacySettings(
            showOnlineStatus: update.showOnlineStatus ?? showOnlineStatus,
            showLastSeen: update.showLastSeen ?? showLastSeen,
            showActivity: update.showActivity ?? showActivity
        )
    }
}

/// One decoded `in/{user}/settings` message: each key optional, a missing key keeps its value.
public struct PrivacySettingsUpdate: Sendable, Equatable {
    /// New audience for `status` and `devices`, or nil to keep it.
    public var showOnlineStatus: Audience?
    /// New audience for `lastSeen`, or nil to keep it.
    public var showLastSeen: Audience?
    /// New audience for `activity`, or nil to keep it.
    public var showActivity: Audience?

    /// An update; keys left out are kept.
    public init(showOnlineStatus: Audience? = nil, showLastSeen: Audience? = nil, showActivity: Audience? = nil) {
        self.showOnlineStatus = showOnlineStatus
        self.showLastSeen = showLastSeen
        self.showActivity = showActivity
    }
}

/// The durable facts of one user, as the store loads them at start-up.
public struct StoredUser: Sendable, Equatable {
    /// The user.
    public var user: UserID
    /// The last-seen time, if the user ever went offline.
    public var lastSeen: Timestamp?
    /// The settings, if the user ever published any.
    public var settings: PrivacySettings?
    /// The contacts list.
    public var contacts: [UserID]
    /// The blocked list.
    public var blocked: [UserID]
    /// The watch list.
    public var watch: [UserID]
    /// Devices lost by liveness that have not spoken since.
    public var lostDevices: [LostDevice]

    /// Stored facts; lists default to empty.
    public init(
        user: UserID,
        lastSeen: Timestamp? = nil,
        settings: PrivacySettings? = nil,
        contacts: [UserID] = [],
        blocked: [UserID] = [],
        watch: [UserID] = [],
        lostDevices: [LostDevice] = []
    ) {
        self.user = user
        self.lastSeen = lastSeen
        self.settings = settings
        self.contacts = contacts
        self.blocked = blocked
        self.watch = watch
        self.lostDevices = lostDevices
    }
}

/// Gauges of the engine's size, for `bridge/stats`.
public struct EngineStatistics: Sendable, Equatable {
    /// Participants: users that sent an input of their own or were restored as such.
    public var usersKnown: Int
    /// Ids the engine holds: participants and the users named in lists. Users nobody names
    /// any more are forgotten (`forgetUnlistedUsers`), so this follows the lists, not history.
    public var internedIDs: Int
    /// Devices that are not offline (those in their offline grace included).
    public var devicesNotOffline: Int
    /// Timer entries pending (some may be stale and fire as no-ops).
    public var pendingTimers: Int

    /// Statistics.
    public init(usersKnown: Int, internedIDs: Int, devicesNotOffline: Int, pendingTimers: Int) {
        self.usersKnown = usersKnown
        self.internedIDs = internedIDs
        self.devicesNotOffline = devicesNotOffline
        self.pendingTimers = pendingTimers
    }

    /// Same as ``usersKnown``.
    public var users: Int { usersKnown }

    /// Same as ``devicesNotOffline`` (devices in their offline grace still count as online).
    public var devicesOnline: Int { devicesNotOffline }
}

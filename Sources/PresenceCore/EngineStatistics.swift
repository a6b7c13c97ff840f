/// Gauges of the engine's size, for `bridge/stats`.
public struct EngineStatistics: Sendable, Equatable {
    /// Users the engine knows (senders, stored users and users named in lists).
    public var usersKnown: Int
    /// Devices that are not offline (those in their offline grace included).
    public var devicesNotOffline: Int
    /// Timer entries pending (some may be stale and fire as no-ops).
    public var pendingTimers: Int

    /// Statistics.
    public init(usersKnown: Int, devicesNotOffline: Int, pendingTimers: Int) {
        self.usersKnown = usersKnown
        self.devicesNotOffline = devicesNotOffline
        self.pendingTimers = pendingTimers
    }

    /// Same as ``usersKnown``.
    public var users: Int { usersKnown }

    /// Same as ``devicesNotOffline`` (devices in their offline grace still count as online).
    public var devicesOnline: Int { devicesNotOffline }
}

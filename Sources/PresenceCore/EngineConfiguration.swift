/// The engine's timing rules and limits.
public struct EngineConfiguration: Sendable, Equatable {
    /// The heartbeat interval; a device silent for 2.5 intervals is lost.
    public var heartbeatIntervalMilliseconds: Int64
    /// How long a lost device keeps its last status before viewers see it offline.
    public var offlineGraceMilliseconds: Int64
    /// The lease of an activity sent without a `ttl`.
    public var activityTTLMilliseconds: Int64
    /// The most devices a user may have that are not offline; one more is rejected.
    public var maxDevicesPerUser: Int

    /// A configuration; the defaults are the protocol's (30 s, 5 s, 3 s, 16).
    public init(
        heartbeatIntervalMilliseconds: Int64 = 30_000,
        offlineGraceMilliseconds: Int64 = 5_000,
        activityTTLMilliseconds: Int64 = 3_000,
        maxDevicesPerUser: Int = 16
    ) {
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
        self.offlineGraceMilliseconds = offlineGraceMilliseconds
        self.activityTTLMilliseconds = activityTTLMilliseconds
        self.maxDevicesPerUser = maxDevicesPerUser
    }

    /// The silence after which a device is lost: 2.5 heartbeat intervals.
    public var livenessWindowMilliseconds: Int64 {
        heartbeatIntervalMilliseconds.multipliedReportingOverflow(by: 5).overflow
            ? .max / 2 : heartbeatIntervalMilliseconds * 5 / 2
    }
}

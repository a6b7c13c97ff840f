/// A device lost by liveness (silent for 2.5 heartbeat intervals), kept durably so that a later
/// replay of its retained state cannot bring it back: only a live message of `session` can,
/// in `status`.
public struct LostDevice: Sendable, Equatable, Hashable {
    public var device: DeviceID
    /// The session of the connection that fell silent.
    public var session: String
    /// The status it had, and comes back in.
    public var status: DeviceStatus
    /// The platform it had, and comes back with.
    public var platform: String?

    public init(device: DeviceID, session: String, status: DeviceStatus, platform: String? = nil) {
        self.device = device
        self.session = session
        self.status = status
        self.platform = platform
    }
}

/// What the engine knows of one user, at a dense index.
///
/// Lists hold interned indices, sorted for binary search. `watchers` is the reverse index:
/// every user that lists this one in its contacts or watch (each once), in insertion order.
struct UserRecord: Sendable {
    let id: UserID
    /// True once the user sent an input of its own (or was restored): it then holds a view of itself.
    var isParticipant = false
    var settings = PrivacySettings.defaults
    /// `Int64.min` = absent.
    var lastSeen: Int64 = .min
    /// The latest live message since the user last became present to others; `Int64.min` = none known.
    var latestLive: Int64 = .min
    var contacts: [Int32] = []
    var blocked: [Int32] = []
    var watch: [Int32] = []
    var watchers: [Int32] = []
    /// How many users hold this one in their blocked list (they do not watch it, but name it).
    var blockedBy: Int32 = 0
    /// Sorted by device id.
    var devices: [DeviceRecord] = []

    init(id: UserID) {
        self.id = id
    }

    /// The index of `device` in `devices`, if known.
    @inline(__always)
    func deviceIndex(_ device: DeviceID) -> Int? {
        devices.withUnsafeBufferPointer { buffer in
            for index in buffer.indices where buffer[index].id == device { return index }
            return nil
        }
    }

    /// The index of the device with `serial`, if it still exists.
    func deviceIndex(serial: UInt32) -> Int? {
        for index in devices.indices where devices[index].serial == serial { return index }
        return nil
    }

    /// Devices that are not offline.
    var presentDeviceCount: Int {
        devices.withUnsafeBufferPointer { buffer in
            var count = 0
            for index in buffer.indices where buffer[index].status != .offline { count += 1 }
            return count
        }
    }
}

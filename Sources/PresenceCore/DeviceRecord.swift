/// Why a device that still shows its status is about to go offline.
enum PendingLoss: UInt8, Sendable {
    /// Not pending.
    case none
    /// Its will came (`reason: "lost"`): offline at the end of the grace, never resumed.
    case will
    /// It fell silent: offline at the end of the grace, resumed by a live message of its session.
    case liveness
}

/// A device's activity with its lease.
struct DeviceActivity: Sendable, Equatable {
    var kind: ActivityKind
    var detail: String?
    var audience: [UserID]?
    /// When the lease ends; `Int64.max` = until replaced.
    var expiresAt: Int64
    /// Arrival order across the engine: the user's activity is the latest one in force.
    var sequence: UInt64
}

/// What the engine knows of one device of one user.
struct DeviceRecord: Sendable {
    var id: DeviceID
    /// Unique for the engine's life: timer entries name the device by it, so a recycled slot never matches.
    var serial: UInt32
    /// The status viewers see; `.offline` only once effectively offline (after any grace).
    var status: DeviceStatus = .offline
    /// The session of the latest non-offline state.
    var session: String?
    var platform: String?
    /// When the device is lost unless a live message comes first (meaningful while not offline).
    var livenessDeadline: Int64 = .max
    /// True while the heap holds a liveness entry for this device (heartbeats never push).
    var livenessTimerQueued = false
    var pendingLoss: PendingLoss = .none
    var graceDeadline: Int64 = .max
    /// For a device offline after a liveness loss: the status its next live message of the session restores.
    var resumeStatus: DeviceStatus?
    var activity: DeviceActivity?
    /// When it went offline, in engine order: offline records are evicted oldest first.
    var offlineOrder: UInt64 = 0

    init(id: DeviceID, serial: UInt32) {
        self.id = id
        self.serial = serial
    }

    /// True when the device counts and shows: not offline (a device in its grace included).
    var isPresent: Bool { status != .offline }

    /// What a restart needs to put the device back.
    var snapshot: DeviceSnapshot { DeviceSnapshot(device: id, status: status, session: session, platform: platform) }
}

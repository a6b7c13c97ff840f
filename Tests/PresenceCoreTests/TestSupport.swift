import PresenceCore
import Testing

// Literal ids for tests; every literal used here is a valid id, and an invalid one fails loudly.
extension UserID: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        guard let id = UserID(value) else { preconditionFailure("invalid test user id \(value)") }
        self = id
    }
}

extension DeviceID: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        guard let id = DeviceID(value) else { preconditionFailure("invalid test device id \(value)") }
        self = id
    }
}

/// A viewer and a target: one retained view topic.
struct ViewKey: Hashable, CustomStringConvertible {
    var viewer: UserID
    var target: UserID
    var description: String { "out/\(viewer)/\(target)" }
}

/// An engine with clocks driven by the test and the views its changes leave retained.
///
/// `now` is the monotonic clock (deadlines); the wall clock reads `now + wallOffset`, so a
/// test steps the wall clock alone with ``stepWall(_:)``.
struct Harness {
    var engine: PresenceEngine
    var now: Int64 = 1_700_000_000_000
    /// How far the wall clock has been stepped away from the monotonic one.
    var wallOffset: Int64 = 0
    /// What a broker would retain after every change so far.
    var retained: [ViewKey: View] = [:]
    var durable: [DurableChange] = []

    init(_ configuration: EngineConfiguration = EngineConfiguration()) {
        engine = PresenceEngine(configuration: configuration)
    }

    /// The wall clock now.
    var time: Timestamp { Timestamp(millisecondsSinceEpoch: now + wallOffset) }

    /// The monotonic clock now.
    var instant: MonotonicInstant { MonotonicInstant(milliseconds: now) }

    /// Steps the wall clock by `milliseconds` (negative: backwards); the monotonic clock stays.
    mutating func stepWall(_ milliseconds: Int64) { wallOffset += milliseconds }

    @discardableResult
    mutating func send(_ input: PresenceInput, live: Bool = true) throws(InputRejection) -> EngineOutput {
        let output = try engine.apply(input, live: live, at: ClockReading(instant: instant, wall: time))
        record(output)
        return output
    }

    @discardableResult
    mutating func state(_ user: UserID, _ device: DeviceID, _ status: DeviceStatus, session: String? = nil,
                        platform: String? = nil, lost: Bool = false, live: Bool = true) throws(InputRejection) -> EngineOutput {
        try send(.deviceState(user, device, DeviceState(status: status, session: session, platform: platform, isLost: lost)), live: live)
    }

    @discardableResult
    mutating func heartbeat(_ user: UserID, _ device: DeviceID, session: String? = nil) throws(InputRejection) -> EngineOutput {
        try send(.heartbeat(user, device, session: session))
    }

    @discardableResult
    mutating func activity(_ user: UserID, _ device: DeviceID, _ activity: Activity?, live: Bool = true) throws(InputRejection) -> EngineOutput {
        try send(.activity(user, device, activity), live: live)
    }

    @discardableResult
    mutating func contacts(_ user: UserID, _ list: [UserID]) -> EngineOutput {
        (try? send(.contacts(user, list))) ?? EngineOutput()
    }

    @discardableResult
    mutating func blocked(_ user: UserID, _ list: [UserID]) -> EngineOutput {
        (try? send(.blocked(user, list))) ?? EngineOutput()
    }

    @discardableResult
    mutating func watch(_ user: UserID, _ list: [UserID]) -> EngineOutput {
        (try? send(.watch(user, list))) ?? EngineOutput()
    }

    @discardableResult
    mutating func settings(_ user: UserID, status: Audience? = nil, lastSeen: Audience? = nil, activity: Audience? = nil) -> EngineOutput {
        (try? send(.settings(user, PrivacySettingsUpdate(showOnlineStatus: status, showLastSeen: lastSeen, showActivity: activity)))) ?? EngineOutput()
    }

    /// Moves the clock forward and fires what is due.
    @discardableResult
    mutating func advance(_ milliseconds: Int64) -> EngineOutput {
        now += milliseconds
        let output = engine.tick(at: instant)
        record(output)
        return output
    }

    mutating func record(_ output: EngineOutput) {
        for change in output.viewChanges {
            switch change {
            case .publish(let viewer, let target, let view, let previous):
                #expect(retained[ViewKey(viewer: viewer, target: target)] != view, "publish that changes nothing: \(viewer)/\(target)")
                #expect(retained[ViewKey(viewer: viewer, target: target)] == previous, "previous is not the view held: \(viewer)/\(target)")
                retained[ViewKey(viewer: viewer, target: target)] = view
            case .delete(let viewer, let target, let previous):
                #expect(retained.removeValue(forKey: ViewKey(viewer: viewer, target: target)) == previous, "delete of a view not held")
            }
        }
        durable += output.durableChanges
    }

    /// Takes the engine's current views as the retained ones (after a `restore`, which emits nothing).
    mutating func adoptCurrentViews() {
        var views: [ViewKey: View] = [:]
        engine.forEachView { viewer, target, view in views[ViewKey(viewer: viewer, target: target)] = view }
        retained = views
    }

    func view(_ viewer: UserID, of target: UserID) -> View? {
        retained[ViewKey(viewer: viewer, target: target)]
    }
}

extension EngineOutput {
    /// Whether the output deletes `viewer`'s view of `target`.
    func deletes(_ viewer: UserID, _ target: UserID) -> Bool {
        viewChanges.contains {
            if case .delete(viewer, target, _) = $0 { return true }
            return false
        }
    }

    /// The targets published to `viewer`, in order.
    func published(to viewer: UserID) -> [View] {
        viewChanges.compactMap {
            if case .publish(viewer, _, let view, _) = $0 { return view }
            return nil
        }
    }

    /// The pairs touched, in order.
    var keys: [ViewKey] {
        viewChanges.map {
            switch $0 {
            case .publish(let viewer, let target, _, _), .delete(let viewer, let target, _):
                return ViewKey(viewer: viewer, target: target)
            }
        }
    }
}

/// A small deterministic PRNG (SplitMix64) so a failing seed reproduces.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
}

extension EngineOutput {
    /// The last-seen facts alone (the device facts that come with them set aside).
    var lastSeenChanges: [DurableChange] {
        durableChanges.filter { if case .lastSeen = $0 { true } else { false } }
    }
}

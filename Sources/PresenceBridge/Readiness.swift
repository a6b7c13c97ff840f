import PresenceCore
import Synchronization

/// Whether the bridge is ready, defined here once: `/readyz`, the `presence_bridge_live`
/// gauge, systemd's `READY=1`, the service's `isLive` and the log line `live` all read it.
///
/// Ready means: connected to the broker, the current resync complete with **every view it
/// decided handed to the broker** (not merely decided: the moment the publisher hands the
/// resync's `bridge/status` online to the MQTT client, which the outbox sends behind the last
/// of those views), the last store write succeeded, and not shutting down.
///
/// The writer reports the connection, each resync's start and the store's health; the publisher
/// reports the hand-over (`noteCaughtUp`), which counts only for the resync that is current.
/// Observers see every change in order.
public final class Readiness: Sendable {
    /// What readiness is made of, as of one moment.
    public struct State: Sendable, Equatable {
        /// Connected to the broker, as the writer last learned it.
        public var connected = false
        /// The current resync is complete and its views were handed to the broker.
        public var caughtUp = false
        /// The last store write succeeded.
        public var storeWritable = true
        /// A shutdown has begun.
        public var stopping = false
        /// The last resync that completed: how it reconciled and how long it took.
        public var lastResync: ResyncSummary?
        /// Resyncs whose views were all handed to the broker, since the start.
        public var resyncsCompleted = 0
        /// The outbox generation of the current resync; a hand-over of another is stale.
        var generation = -1

        /// The one definition of ready.
        public var isReady: Bool { connected && caughtUp && storeWritable && !stopping }

        /// Why not ready, in one line ("ready" when ready).
        public var reason: String {
            if stopping { return "shutting down" }
            if !connected { return "not connected to the broker" }
            if !caughtUp { return "resynchronising: the broker's replay or the views it decided are not yet handed to the broker" }
            if !storeWritable { return "the last store write failed" }
            return "ready"
        }
    }

    public typealias Observer = @Sendable (_ old: State, _ new: State) -> Void

    private let state = Mutex(State())
    private let observers = Mutex<[Observer]>([])
    /// Held while a change is made and delivered, so that observers see changes in order.
    private let delivery = Mutex(())

    public init() {}

    /// The state now.
    public var current: State { state.withLock { $0 } }

    /// True when ready (`State.isReady`).
    public var isReady: Bool { current.isReady }

    /// Calls `observer` after every change, with the state before and after, in order. The
    /// observer must be quick and must not change readiness.
    public func observe(_ observer: @escaping Observer) {
        observers.withLock { $0.append(observer) }
    }

    /// A resync of outbox generation `generation` began on a live connection.
    func noteResyncBegan(generation: Int) {
        change { $0.connected = true; $0.caughtUp = false; $0.generation = generation }
    }

    /// The broker connection is lost.
    func noteDisconnected() {
        change { $0.connected = false; $0.caughtUp = false }
    }

    /// The publisher handed the resync's `bridge/status` online to the MQTT client: every view
    /// of resync `generation` is handed over. Returns true when this made the bridge ready.
    @discardableResult
    func noteCaughtUp(generation: Int, summary: ResyncSummary) -> Bool {
        change { state in
            guard state.generation == generation, state.connected else { return }
            state.caughtUp = true
            state.lastResync = summary
            state.resyncsCompleted += 1
        }
    }

    /// The last store write succeeded (true) or failed (false).
    func noteStoreWrite(succeeded: Bool) {
        change { $0.storeWritable = succeeded }
    }

    /// A shutdown has begun.
    func noteStopping() {
        change { $0.stopping = true }
    }

    /// Applies `update`, then tells the observers if anything changed; returns true when the
    /// change made the bridge ready.
    @discardableResult
    private func change(_ update: (inout State) -> Void) -> Bool {
        delivery.withLock { _ in
            let (old, new) = state.withLock { state -> (State, State) in
                let old = state
                update(&state)
                return (old, state)
            }
            guard old != new else { return false }
            for observer in observers.withLock({ $0 }) { observer(old, new) }
            return !old.isReady && new.isReady
        }
    }
}

/// How a completed resync went, for the log line `live` and the metrics.
public struct ResyncSummary: Sendable, Equatable {
    /// "views record" or "read-back".
    public var source: String
    /// Views republished or deleted because the broker may have lacked them.
    public var viewsRepaired: Int
    /// From the resync's start until its last view was handed to the broker.
    public var milliseconds: Int64
}

import Histogram
import MQTT
import Synchronization

/// Consumes one subscriber connection's messages: keeps the latest view per (viewer, target),
/// measures per-event latency from the markers, and tells when an expected set of views is final.
///
/// One consumer task reads `MQTTClient.messages` and updates the state under one lock; the
/// benchmark's scenarios read it under the same lock. The null bridge's views (`bench/null/out/`)
/// and the raw relay's messages (any other topic) go through the same path: counted and timed,
/// not kept.
final class ViewCollector: Sendable {
    /// What the collector keeps of one view.
    struct Record: Sendable {
        var status: BenchPayloads.Status
        /// The event number of the marker the view carries, -1 without one.
        var seq: Int
        /// When it was received (`BenchClock` microseconds).
        var at: UInt64
    }

    /// The condition an expected view must reach.
    enum Condition: Sendable {
        case status(BenchPayloads.Status)
        /// The status, carrying a marker of an event numbered `seq` or later.
        case statusFromEvent(BenchPayloads.Status, Int)

        func holds(_ record: Record) -> Bool {
            switch self {
            case .status(let status): record.status == status
            case .statusFromEvent(let status, let seq): record.status == status && record.seq >= seq
            }
        }
    }

    private struct EventTrack {
        var count: Int
        var firstAt: UInt64
        var sent: UInt64
    }

    private struct State {
        var latest: [Int: Record] = [:]
        var viewsReceived = 0
        var nullViewsReceived = 0
        var relayReceived = 0
        var lastViewAt: UInt64 = 0
        var lastNullViewAt: UInt64 = 0
        var lastRelayAt: UInt64 = 0
        var payloadBytes = 0
        // Latency of events (tracking on while `fanout > 0`).
        var fanout = 0
        var firstSeq = 0
        var events: [Int: EventTrack] = [:]
        var first = LatencySummary.makeHistogram()
        var last = LatencySummary.makeHistogram()
        var completed = 0
        var lastCompletedAt: UInt64 = 0
        // An expected set of views.
        var pending: Set<Int> = []
        var condition: Condition = .status(.online)
        var satisfiedAt: UInt64 = 0
    }

    /// Keys are `viewer * stride + target`.
    let stride: Int
    private let state = Mutex(State())

    init(stride: Int) {
        self.stride = stride
    }

    func key(viewer: Int, target: Int) -> Int { viewer * stride + target }

    /// Starts consuming `client.messages` on a detached task; it ends when the client is closed.
    func start(_ client: MQTTClient) -> Task<Void, Never> {
        Task.detached { [self] in
            for await message in client.messages { self.receive(message) }
        }
    }

    private func receive(_ message: MQTTMessage) {
        let now = BenchClock.now()
        let address = BenchPayloads.viewAddress(message.topic)
        let isNullView = address == nil && message.topic.utf8.starts(with: NullBridgeLayout.viewTopicHead)
        let (status, marker) = message.payload.withUnsafeBufferPointer { bytes in
            (BenchPayloads.status(bytes), BenchPayloads.marker(bytes))
        }
        state.withLock { state in
            if let address {
                state.viewsReceived += 1
                state.lastViewAt = now
                state.payloadBytes += message.payload.count
                let key = address.viewer * stride + address.target
                let record = Record(status: status, seq: marker?.seq ?? -1, at: now)
                state.latest[key] = record
                if !state.pending.isEmpty, state.condition.holds(record), state.pending.remove(key) != nil {
                    state.satisfiedAt = now
                }
            } else if isNullView {
                state.nullViewsReceived += 1
                state.lastNullViewAt = now
            } else {
                state.relayReceived += 1
                state.lastRelayAt = now
            }
            guard state.fanout > 0, let marker, marker.seq >= state.firstSeq else { return }
            var track = state.events[marker.seq] ?? EventTrack(count: 0, firstAt: now, sent: marker.sent)
            track.count += 1
            if track.count >= state.fanout {
                state.events[marker.seq] = nil
                state.first.record(track.firstAt > track.sent ? track.firstAt - track.sent : 0)
                state.last.record(now > track.sent ? now - track.sent : 0)
                state.completed += 1
                state.lastCompletedAt = now
            } else {
                state.events[marker.seq] = track
            }
        }
    }

    // MARK: - Counters

    /// Views (and deletions) received so far.
    var viewsReceived: Int { state.withLock { $0.viewsReceived } }
    /// Views received so far through `path`.
    func viewsReceived(via path: ViewPath) -> Int {
        state.withLock { path == .bridge ? $0.viewsReceived : $0.nullViewsReceived }
    }
    /// When the last view through `path` arrived.
    func lastViewAt(via path: ViewPath) -> UInt64 {
        state.withLock { path == .bridge ? $0.lastViewAt : $0.lastNullViewAt }
    }
    /// Raw relay messages received so far.
    var relayReceived: Int { state.withLock { $0.relayReceived } }
    /// When the last view arrived.
    var lastViewAt: UInt64 { state.withLock { $0.lastViewAt } }
    /// When the last relay message arrived.
    var lastRelayAt: UInt64 { state.withLock { $0.lastRelayAt } }
    /// Mean size of the view payloads received so far.
    var meanViewSize: Int { state.withLock { $0.viewsReceived > 0 ? $0.payloadBytes / $0.viewsReceived : 0 } }
    /// Number of distinct views held.
    var viewsHeld: Int { state.withLock { $0.latest.count } }

    /// The latest record of one view.
    func record(viewer: Int, target: Int) -> Record? {
        let key = key(viewer: viewer, target: target)
        return state.withLock { $0.latest[key] }
    }

    // MARK: - Event latency

    /// Starts timing events numbered `firstSeq` and later, each complete after `fanout` views.
    func startTracking(fanout: Int, firstSeq: Int) {
        state.withLock { state in
            state.fanout = fanout
            state.firstSeq = firstSeq
            state.events.removeAll()
            state.first = LatencySummary.makeHistogram()
            state.last = LatencySummary.makeHistogram()
            state.completed = 0
            state.lastCompletedAt = 0
        }
    }

    /// Events complete so far, and when the last one completed.
    var completedEvents: (count: Int, lastAt: UInt64) { state.withLock { ($0.completed, $0.lastCompletedAt) } }

    /// Stops timing; returns the first-view and last-view latencies and the incomplete events.
    func stopTracking() -> (first: LatencySummary, last: LatencySummary, completed: Int, incomplete: Int) {
        state.withLock { state in
            state.fanout = 0
            let result = (LatencySummary(state.first), LatencySummary(state.last), state.completed, state.events.count)
            state.events.removeAll()
            return result
        }
    }

    // MARK: - Expected views

    /// From now on, waits for the views `keys` to reach `condition` (views already there count at once).
    func expect(_ keys: [Int], _ condition: Condition) {
        state.withLock { state in
            state.condition = condition
            state.pending = []
            state.pending.reserveCapacity(keys.count)
            state.satisfiedAt = 0
            for key in keys {
                if let record = state.latest[key], condition.holds(record) { continue }
                state.pending.insert(key)
            }
        }
    }

    /// Views still pending, and when the last of the others became final.
    var expectation: (pending: Int, satisfiedAt: UInt64) { state.withLock { ($0.pending.count, $0.satisfiedAt) } }

    /// Waits until every expected view is final; returns when the last became final, nil at the deadline.
    func waitForExpected(timeout: Double) async -> UInt64? {
        let deadline = BenchClock.now() + UInt64(timeout * 1e6)
        while true {
            let (pending, at) = expectation
            if pending == 0 { return at }
            if BenchClock.now() > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until no view or relay message has arrived for `quiet` seconds (at most `timeout`).
    func waitForQuiet(_ quiet: Double, timeout: Double) async {
        let deadline = BenchClock.now() + UInt64(timeout * 1e6)
        while BenchClock.now() < deadline {
            let last = state.withLock { max($0.lastViewAt, $0.lastNullViewAt, $0.lastRelayAt) }
            if BenchClock.seconds(last, BenchClock.now()) >= quiet { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

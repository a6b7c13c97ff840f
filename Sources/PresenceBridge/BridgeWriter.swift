import Logging
import MQTT
import PresenceCore

/// The bridge's single writer: owns the engine, the store and the counters, and turns each
/// batch of events into store writes first and publishes second.
///
/// Data flows one way: message → `InputDecoder` → `PresenceEngine.apply` → durable changes
/// (written in one transaction per batch) → view changes (encoded, queued on the `Outbox`).
/// Not Sendable: only the service's run loop touches it.
final class BridgeWriter {
    enum Phase {
        /// No broker connection; inputs cannot arrive and views are not sent.
        case disconnected
        /// Taking in the retained replay (`replay`); nothing is published until it is complete.
        case replaying
        case live
    }

    private let configuration: BridgeConfiguration
    private let client: MQTTClient
    private let outbox: Outbox
    private let store: PresenceStore
    private let schedule: WakeSchedule
    private let logger: Logger
    private let decoder: InputDecoder
    private let startedAt: Timestamp

    private var engine: PresenceEngine
    private var rateLimiter: RateLimiter
    private(set) var phase: Phase = .disconnected
    /// The resync in progress, while `phase` is `.replaying`. A property of its own, so that
    /// recording a retained view mutates it in place (inside the enum it was copied per message).
    private var replay: Replay?
    private(set) var statistics = BridgeStatistics()
    private var nextStatsAt: Timestamp
    private var hasBeenLive = false
    private var hasResynced = false

    /// What one batch of events decided, held back until the store has the batch's facts.
    private var durable: [DurableChange] = []
    private var views: [ViewChange] = []

    init(configuration: BridgeConfiguration, client: MQTTClient, outbox: Outbox, store: PresenceStore,
         schedule: WakeSchedule, logger: Logger, startedAt: Timestamp) {
        self.configuration = configuration
        self.client = client
        self.outbox = outbox
        self.store = store
        self.schedule = schedule
        self.logger = logger
        self.startedAt = startedAt
        decoder = InputDecoder(topics: configuration.topics, maximumList: configuration.maximumList,
                               maximumWatch: configuration.maximumWatch)
        engine = PresenceEngine(configuration: configuration.engine)
        rateLimiter = RateLimiter(rate: configuration.rateLimit)
        nextStatsAt = startedAt
    }

    var isLive: Bool {
        if case .live = phase { return true }
        return false
    }

    /// Handles one batch; returns false when the bridge is to shut down.
    func handle(_ events: [BridgeEvent]) async -> Bool {
        var keepRunning = true
        for event in events {
            switch event {
            case .message(let message):
                receive(message, at: .now())
            case .connection(.connected):
                if case .disconnected = phase {
                    flush()
                    statistics.reconnects += 1
                    await beginResync()
                }
            case .connection(.disconnected(let reason)):
                logger.warning("broker connection lost", metadata: ["reason": "\(reason)"])
                flush()
                phase = .disconnected
            case .tick:
                tick(at: .now())
            case .shutdown:
                keepRunning = false
            }
        }
        flush()
        if case .replaying = phase, let replay, replay.isComplete(at: .now()) {
            await completeResync(replay)
        }
        schedule.set(wakeTime())
        return keepRunning
    }

    // MARK: - Resynchronisation

    /// Starts over from the store and the broker's retained messages: a fresh engine, the store's
    /// facts, then the retained inputs and views as the broker replays them.
    func beginResync() async {
        let now = Timestamp.now()
        statistics.resyncs += 1
        var fresh = PresenceEngine(configuration: configuration.engine)
        do {
            fresh.restore(try store.load())
            // The devices present before the gap: the ones this process knew, or at a start the
            // ones the last clean shutdown wrote down. A will replayed for one of them then takes
            // it offline with the right last seen.
            let carried = hasResynced ? engine.presenceSnapshot() : try store.takePresenceSnapshot()
            fresh.restorePresence(carried, at: now)
        } catch {
            logger.error("cannot read the store; starting from the retained inputs alone", metadata: ["error": "\(error)"])
            statistics.storeFailures += 1
        }
        engine = fresh
        hasResynced = true
        let topics = configuration.topics
        let replay = Replay(topics: topics, startedAt: now, timeoutMilliseconds: Int64(configuration.replayTimeout * 1000))
        self.replay = replay
        phase = .replaying
        do {
            _ = try await client.subscribe([topics.inputFilter, topics.viewFilter, replay.syncTopic], qos: .atLeastOnce)
            try await client.publish(MQTTMessage(topic: replay.syncTopic, payload: Array("sync".utf8), qos: .atLeastOnce))
            logger.info("resynchronising with the broker's retained messages")
        } catch {
            // The connection dropped under us: the next `.connected` starts over.
            logger.warning("resync interrupted", metadata: ["error": "\(error)"])
            phase = .disconnected
        }
        schedule.set(wakeTime())
    }

    /// Publishes exactly the views that differ from the retained ones and deletes the views
    /// that should no longer exist; then the bridge is live.
    private func completeResync(_ replay: Replay) async {
        let topics = configuration.topics
        if !replay.markerSeen {
            logger.warning("retained replay not confirmed by the sync marker; going live after the timeout")
        }
        do {
            try await client.unsubscribe([topics.viewFilter, replay.syncTopic])
        } catch {
            logger.warning("cannot unsubscribe from the views", metadata: ["error": "\(error)"])
        }
        var stale = replay.existingViews
        var published = 0
        var encoder = CachingViewEncoder()
        engine.forEachView { viewer, target, view in
            let topic = topics.viewTopic(viewer: viewer, target: target)
            let payload = encoder.encode(view)
            let retained = stale.removeValue(forKey: topic) ?? Outbox.noView
            if retained != ViewEncoder.hash(payload) {
                outbox.enqueueView(topic: topic, payload: payload, replacing: retained)
                published += 1
            }
        }
        for (topic, retained) in stale.sorted(by: { $0.key < $1.key }) {
            outbox.enqueueView(topic: topic, payload: [], replacing: retained)
        }
        statistics.viewsPublished += published
        statistics.viewsDeleted += stale.count
        let now = Timestamp.now()
        statistics.lastResyncMilliseconds = now.millisecondsSinceEpoch - replay.startedAt.millisecondsSinceEpoch
        phase = .live
        self.replay = nil
        hasBeenLive = true
        outbox.enqueue(MQTTMessage(topic: topics.statusTopic, payload: configuration.statusPayload(online: true, startedAt: startedAt),
                                   qos: .atLeastOnce, retain: true))
        logger.info("live", metadata: [
            "views-published": "\(published)", "views-deleted": "\(stale.count)",
            "retained-views-seen": "\(replay.existingViews.count)",
            "milliseconds": "\(statistics.lastResyncMilliseconds)",
        ])
        publishStatistics(at: now)
    }

    // MARK: - Messages

    private func receive(_ message: MQTTMessage, at now: Timestamp) {
        let topics = configuration.topics
        if case .replaying = phase, replay != nil {
            if message.retain { replay?.noteReplayed(at: now) }
            if message.topic == replay?.syncTopic {
                replay?.markerSeen = true
                return
            }
            if topics.viewPair(message.topic) != nil {
                if !message.payload.isEmpty {
                    replay?.existingViews[message.topic] = ViewEncoder.hash(message.payload)
                }
                return
            }
        }
        guard let address = topics.inputAddress(message.topic) else { return }
        statistics.messagesIn += 1
        let user = UserID(address.user)
        let live = !message.retain
        if live, let user, case .drop(let notify) = rateLimiter.admit(user, at: now) {
            reject(InputError(.rateLimited, "over \(Int(configuration.rateLimit)) inputs per second (bursts of \(Int(configuration.rateLimit * 2))): input dropped", user: user),
                   topic: message.topic, notify: notify)
            return
        }
        let input: PresenceInput
        do {
            input = try decoder.decode(address, user: user, payload: message.payload)
        } catch {
            reject(error, topic: message.topic, notify: true)
            return
        }
        do {
            take(try engine.apply(input, live: live, at: now))
            statistics.inputsApplied += 1
        } catch {
            reject(InputError(.tooManyDevices, error.message, user: user), topic: message.topic, notify: true)
        }
    }

    /// Counts a rejected input and tells its user on `err/{user}` (when the user id is valid).
    private func reject(_ error: InputError, topic: String, notify: Bool) {
        statistics.rejected[error.reason, default: 0] += 1
        logger.debug("input rejected", metadata: ["topic": "\(topic)", "error": "\(error)"])
        guard notify, let user = error.user else { return }
        var json = JSONWriter()
        json.beginObject()
        json.member("topic", topic)
        json.member("error", error.message)
        json.endObject()
        outbox.enqueue(MQTTMessage(topic: configuration.topics.errorTopic(user), payload: json.bytes, qos: .atMostOnce))
        statistics.errorsPublished += 1
    }

    private func take(_ output: EngineOutput) {
        guard !output.isEmpty else { return }
        durable.append(contentsOf: output.durableChanges)
        if case .live = phase {
            views.append(contentsOf: output.viewChanges)
        }
    }

    // MARK: - Timers

    private func tick(at now: Timestamp) {
        take(engine.tick(at: now))
        if now >= nextStatsAt, hasBeenLive {
            publishStatistics(at: now)
        }
    }

    private func publishStatistics(at now: Timestamp) {
        let engineStatistics = engine.statistics
        statistics.users = engineStatistics.usersKnown
        statistics.devicesOnline = engineStatistics.devicesNotOffline
        statistics.viewsCoalesced = outbox.coalesced
        outbox.enqueue(MQTTMessage(topic: configuration.topics.statsTopic, payload: statistics.json(startedAt: startedAt, now: now),
                                   qos: .atMostOnce, retain: true))
        nextStatsAt = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + Int64(configuration.statsInterval * 1000))
        rateLimiter.forgetIdle(at: now)
    }

    private func wakeTime() -> Timestamp? {
        var times: [Timestamp] = []
        if let deadline = engine.nextDeadline { times.append(deadline) }
        if case .replaying = phase, let replay { times.append(replay.deadline) }
        if hasBeenLive { times.append(nextStatsAt) }
        return times.min()
    }

    /// The last batch is done: writes what is needed to carry presence over the restart.
    func finish() {
        flush()
        do {
            try store.savePresenceSnapshot(engine.presenceSnapshot())
        } catch {
            statistics.storeFailures += 1
            logger.error("cannot write the presence snapshot", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Store first, then views

    /// Writes the batch's durable facts, then queues its views: no view can show a last-seen
    /// time that the store does not have.
    func flush() {
        if !durable.isEmpty {
            do {
                try store.write(durable)
                statistics.storeTransactions += 1
                statistics.storeChanges += durable.count
            } catch {
                // The facts stay in memory and in the views; they are retried with the next batch.
                statistics.storeFailures += 1
                logger.error("store write failed", metadata: ["error": "\(error)"])
                return
            }
            durable.removeAll(keepingCapacity: true)
        }
        guard !views.isEmpty else { return }
        let topics = configuration.topics
        var encoder = CachingViewEncoder()
        var previousEncoder = CachingViewEncoder()
        for change in views {
            switch change {
            case .publish(let viewer, let target, let view, let previous):
                let replaced = previous.map { previousEncoder.hash($0) } ?? Outbox.noView
                outbox.enqueueView(topic: topics.viewTopic(viewer: viewer, target: target), payload: encoder.encode(view),
                                   replacing: replaced)
                statistics.viewsPublished += 1
            case .delete(let viewer, let target, let previous):
                outbox.enqueueView(topic: topics.viewTopic(viewer: viewer, target: target), payload: [],
                                   replacing: previousEncoder.hash(previous))
                statistics.viewsDeleted += 1
            }
        }
        views.removeAll(keepingCapacity: true)
    }
}

/// Encodes views, reusing the bytes of the previous view when the next is equal: a change
/// seen by many viewers in the same class is encoded once.
struct CachingViewEncoder {
    private var lastView: View?
    private var lastBytes: [UInt8] = []
    private var lastHash: Int?

    mutating func encode(_ view: View) -> [UInt8] {
        if view == lastView { return lastBytes }
        lastView = view
        lastBytes = ViewEncoder.encode(view)
        lastHash = nil
        return lastBytes
    }

    /// The hash of the view's bytes (as `Replay.hash`), computed once per distinct view.
    mutating func hash(_ view: View) -> Int {
        let bytes = encode(view)
        if let lastHash { return lastHash }
        let hash = ViewEncoder.hash(bytes)
        lastHash = hash
        return hash
    }
}

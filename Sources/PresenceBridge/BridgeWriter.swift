import Logging
import MQTT
import PresenceCore
import PresenceWire

/// The bridge's single writer: owns the engine, the store and the counters, and turns each
/// batch of events into store writes first and publishes second.
///
/// Data flows one way: message → `InputDecoder` → `PresenceEngine.apply` → durable changes and
/// the views decided (written in one transaction per batch, the views record included) → the
/// `Outbox`. The writer never waits for the broker: subscriptions, markers and views are items
/// of the outbox, and a resync (`Resync`) advances as the broker's answers arrive as messages.
/// Not Sendable: only the service's run loop touches it.
final class BridgeWriter {
    enum Phase {
        /// No broker connection; inputs cannot arrive and views are not sent.
        case disconnected
        /// Taking in the retained replay (`resync`); nothing is published until it is complete.
        case resyncing
        case live
    }

    let configuration: BridgeConfiguration
    let outbox: Outbox
    let store: PresenceStore
    let logger: Logger
    private let decoder: InputDecoder
    /// When the service started: the wall time for `bridge/status`, the instant for uptime.
    private let started: ClockReading
    /// Asks for another turn of the writer soon (posts a tick to its inbox).
    private let wake: @Sendable () -> Void

    var engine: PresenceEngine
    private var rateLimiter: RateLimiter
    private(set) var phase: Phase = .disconnected
    /// The resync in progress, while `phase` is `.resyncing`. A property of its own, so that
    /// recording a retained view mutates it in place (inside the enum it was copied per message).
    private var resync: Resync?
    /// The first viewer a batched read-back has not asked for yet.
    private var readBackNext: Int32 = 0
    /// The end of the resync, while `phase` is `.live` and the bridge not yet ready.
    var catchUp: CatchUp?
    var statistics = BridgeStatistics()
    private var nextStatsAt: MonotonicInstant
    private var hasBeenLive = false
    private var hasResynced = false
    /// This process's claim on the prefix (`BridgeClaim`), published before subscribing until a
    /// replay has shown it back (`claimConfirmed`).
    private let claim = BridgeClaim.random()
    private var claimConfirmed = false
    /// Set when a replay showed another bridge's claim: this one stands down, and handles nothing more.
    private(set) var takenOver: BridgeTakenOver?

    /// The settings and list payloads last applied, to skip their retained replays unread.
    private var appliedInputs = AppliedInputs()

    /// What one batch of events decided, held back until the store has the batch's facts.
    private var durable: [DurableChange] = []
    /// User numbers freed or given again (`PresenceEngine.takeNumberingChanges`), not yet stored.
    var numbering: [NumberingChange] = []
    /// A checkpoint went out since users nobody names were last forgotten (`forgetUnlistedUsers`).
    private var forgetDue = false
    var decided: [DecidedView] = []

    private var nextCheckpointAt: MonotonicInstant
    /// The sequence of the latest checkpoint queued.
    private var checkpointQueued: Int64 = 0
    /// Checkpoints known to have reached the connection, oldest first, for pruning tombstones.
    private var checkpointsSent: [(at: MonotonicInstant, sequence: Int64)] = []

    /// The MQTT client's counters, for the gauges of `bridge/stats`.
    private let transport: @Sendable () -> MQTTClientStatistics
    /// Told of the connection, each resync's start and the store's health (`Readiness`).
    private let readiness: Readiness
    /// The last store write succeeded (what `readiness` was last told).
    private var storeWritable = true
    /// The resyncs completed that `bridge/stats` has been refreshed after.
    private var statsAfterResyncs = 0
    /// Where the time of live batches goes (`PipelineTimings`).
    let timings: PipelineTimings

    init(configuration: BridgeConfiguration, outbox: Outbox, store: PresenceStore, logger: Logger, started: ClockReading,
         timings: PipelineTimings, readiness: Readiness, transport: @escaping @Sendable () -> MQTTClientStatistics,
         wake: @escaping @Sendable () -> Void) {
        self.wake = wake
        self.readiness = readiness
        self.timings = timings
        self.transport = transport
        self.configuration = configuration
        self.outbox = outbox
        self.store = store
        self.logger = logger
        self.started = started
        decoder = InputDecoder(topics: configuration.topics, maximumList: configuration.maximumList,
                               maximumWatch: configuration.maximumWatch)
        engine = PresenceEngine(configuration: configuration.engine)
        rateLimiter = RateLimiter(rate: configuration.rateLimit)
        nextStatsAt = started.instant
        nextCheckpointAt = started.instant
    }

    /// Caught up: live, and every view the last resync decided queued in the outbox. Not yet
    /// ready (`Readiness`): that waits until the publisher has handed them to the broker.
    var isCaughtUp: Bool {
        if case .live = phase, catchUp == nil { return true }
        return false
    }

    /// Handles one batch of what the client received, in order, then the timers that are due
    /// (an empty batch: the deadline passed, or the writer asked for another turn).
    ///
    /// A batch handled once caught up (`isCaughtUp`) is timed: `arrival` (when its first message came
    /// off the network thread) to taken to queued, and a marker behind its views times the
    /// rest of the way in the publisher (`PipelineTimings`).
    func handle(_ batch: [MQTTInbound], arrival: ContinuousClock.Instant? = nil) {
        guard takenOver == nil else { return }
        let taken = ContinuousClock.now
        let timed = arrival != nil && isCaughtUp
        let viewsBefore = statistics.viewsPublished + statistics.viewsDeleted
        defer {
            if timed, let arrival, isCaughtUp, statistics.viewsPublished + statistics.viewsDeleted > viewsBefore {
                let queued = ContinuousClock.now
                timings.recordBatch(inbox: taken - arrival, writer: queued - taken)
                outbox.enqueue(.timing(arrival: arrival, queued: queued))
            }
        }
        for inbound in batch {
            guard takenOver == nil else { break }
            switch inbound {
            case .message(let message):
                receive(message, at: .now())
            case .connection(.connected):
                if case .disconnected = phase {
                    flush()
                    statistics.reconnects += 1
                    beginResync(at: .now())
                }
            case .connection(.disconnected(let reason)):
                logger.warning("broker connection lost", metadata: ["reason": "\(reason)"])
                readiness.noteDisconnected()
                flush()
                phase = .disconnected
                resync = nil
                catchUp = nil
            case .connection(.attemptFailed):
                break  // the MQTT client logs it and tries again
            }
        }
        guard takenOver == nil else { return }  // stood down mid-batch: nothing more is decided or stored
        let now = MonotonicInstant.now()
        if let deadline = wakeTime(), now >= deadline { tick(at: now) }
        flush()
        forgetUnlistedUsers()
        advanceResync(at: now)
        advanceCatchUp(at: now)
        refreshStatisticsAfterResync(at: now)
    }

    /// `bridge/stats` once more as soon as a resync's views are handed to the broker (the
    /// publisher wakes the writer then), so that it shows the resync's duration.
    private func refreshStatisticsAfterResync(at now: MonotonicInstant) {
        let completed = readiness.current.resyncsCompleted
        guard completed != statsAfterResyncs else { return }
        statsAfterResyncs = completed
        publishStatistics(at: now)
    }

    /// How long the writer may wait for input before a timer of its own is due (nil: no timer).
    func timeUntilNextDeadline(from now: MonotonicInstant) -> Duration? {
        guard let deadline = wakeTime() else { return nil }
        return .milliseconds(max(deadline - now, 0))
    }

    // MARK: - Resynchronisation

    /// Starts over from the store and the broker's retained messages: a fresh engine with the
    /// store's numbering and facts and the devices present before the gap, then the retained
    /// inputs (and the checkpoint) as the broker replays them.
    ///
    /// The subscription goes out first, so that the broker replays while the store loads (its
    /// messages wait in the MQTT client's buffer until the engine is ready for them).
    func beginResync(at now: MonotonicInstant) {
        statistics.resyncs += 1
        readiness.noteResyncBegan(generation: outbox.beginGeneration())
        decided.removeAll(keepingCapacity: true)
        let resync = Resync(topics: configuration.topics, shard: configuration.shard, startedAt: now,
                            timeoutMilliseconds: Int64(configuration.replayTimeout * 1000))
        // Views may be stale until the resync ends: say so, also to a broker that came back from
        // a crash with an `online` of ours in its saved state.
        outbox.enqueue(MQTTMessage(topic: configuration.topics.statusTopic, payload: configuration.statusPayload(online: false, startedAt: nil),
                                   qos: .atLeastOnce, retain: true))
        // The first connection claims the prefix before it subscribes, so that its own replay
        // shows its claim; once it did, the replay after a gap tells whether another bridge
        // claimed it since (a first connection lost before that claims again).
        if !claimConfirmed { publishClaim() }
        requestReplay(resync)
        // The devices present before the gap: the ones this process knew, or at a start the
        // ones the store kept (with their sessions, so a stale will the broker now holds as the
        // retained state stays stale). A will replayed for one of them then takes it offline
        // with the right last seen. The old engine goes before the new one is built: one
        // engine's memory at a time.
        let carried = hasResynced ? engine.presenceSnapshot() : nil
        engine = PresenceEngine(configuration: configuration.engine)
        var fresh = PresenceEngine(configuration: configuration.engine)
        do {
            fresh.restoreIndices(try store.loadIndices())
            appliedInputs = AppliedInputs(try store.loadAppliedInputs())
            fresh.restore(try store.load())
            fresh.restorePresence(try carried ?? store.loadPresence(), at: now)
        } catch {
            appliedInputs = AppliedInputs()
            logger.error("cannot read the store; starting from the retained inputs alone", metadata: ["error": "\(error)"])
            statistics.storeFailures += 1
        }
        engine = fresh
        hasResynced = true
        self.resync = resync
        phase = .resyncing
        logger.info("store loaded; resynchronising with the broker's retained inputs", metadata: [
            "users": "\(engine.userCount)", "milliseconds": "\(MonotonicInstant.now() - now)",
        ])
    }

    /// Claims the prefix for this process (`BridgeClaim`).
    private func publishClaim() {
        outbox.enqueue(MQTTMessage(topic: configuration.topics.claimTopic, payload: claim.payload, qos: .atLeastOnce, retain: true))
    }

    /// Another bridge claimed the prefix while this one was away: it took this one's session
    /// over, and serves now. This one decides nothing more (the service stops it).
    private func standDown(_ other: BridgeClaim) {
        takenOver = BridgeTakenOver(clientID: configuration.clientID,
                                    sign: "bridge/claim names instance \(other.text), not this bridge's \(claim.text)")
        resync = nil
        catchUp = nil
        phase = .disconnected
        wake()
    }

    /// Subscribes for the resync's current stage, then sends its sync marker.
    private func requestReplay(_ resync: Resync) {
        outbox.enqueue(.subscribe(resync.filters))
        outbox.enqueue(MQTTMessage(topic: resync.syncTopic, payload: Array("sync".utf8), qos: .atLeastOnce))
    }

    /// Moves a resync on once its stage's replay is complete.
    private func advanceResync(at now: MonotonicInstant) {
        guard case .resyncing = phase, var resync, resync.isStageComplete(at: now) else { return }
        if !resync.markerSeen {
            logger.warning("retained replay not confirmed by the sync marker; going on after the timeout")
        }
        switch resync.stage {
        case .inputs:
            switch resync.claim {
            case claim?: claimConfirmed = true
            case .some: break  // our claim was lost with the connection; it went out again before this replay
                               // (another's after ours was confirmed stood this bridge down on arrival)
            case nil: publishClaim()  // a broker that lost its retained state
            }
            if let checkpoint = resync.checkpoint, checkpoint.epoch == store.epoch, checkpoint.sequence <= store.sequence {
                statistics.resyncsFromCheckpoint += 1
                logger.info("replay complete; reconciling from the views record", metadata: [
                    "checkpoint": "\(checkpoint.sequence)", "record": "\(store.sequence)",
                    "milliseconds": "\(now - resync.startedAt)",
                ])
                beginCatchUp(CatchUp(source: .record(trusted: checkpoint.sequence, staleThrough: store.sequence),
                                     startedAt: resync.startedAt, users: engine.userCount), resync)
                return
            }
            logger.info("no usable checkpoint; reading the broker's retained views back", metadata: [
                "checkpoint": "\(resync.checkpoint.map { "\($0.sequence) of epoch \(String($0.epoch, radix: 16))" } ?? "none")",
                "record": "\(store.sequence) of epoch \(String(store.epoch, radix: 16))",
            ])
            beginReadBack(&resync, at: now)
        case .views:
            if let next = nextReadBackBatch(after: resync) {
                outbox.enqueue(.unsubscribe(resync.filters))
                resync.beginViews(at: now, viewers: next)
                self.resync = resync
                requestReplay(resync)
                return
            }
            flush()  // the last-seen times adopted from the self views, before any view shows them
            statistics.resyncsReadBack += 1
            logger.info("replay complete; reconciling with the retained views", metadata: [
                "retained-views": "\(resync.retainedViews.count + resync.strayViews.count)",
                "milliseconds": "\(now - resync.startedAt)",
            ])
            let retained = resync.retainedViews
            let strays = resync.strayViews
            resync.retainedViews = [:]
            resync.strayViews = [:]
            self.resync = nil  // the catch-up holds the only copy of the dictionaries
            beginCatchUp(CatchUp(source: .readBack, startedAt: resync.startedAt, retained: retained, strays: strays,
                                 users: engine.userCount), resync)
        }
    }

    /// Starts reading the retained views back: at once when there are at most
    /// `readBackBatch` views to expect, else the first batch of viewers.
    private func beginReadBack(_ resync: inout Resync, at now: MonotonicInstant) {
        var expected = 0
        for viewer in 0..<Int32(truncatingIfNeeded: engine.userCount) { expected += engine.heldViewEstimate(of: viewer) }
        readBackNext = 0
        resync.beginViews(at: now, viewers: expected <= configuration.readBackBatch ? nil : nextReadBackBatch(after: nil))
        self.resync = resync
        requestReplay(resync)
    }

    /// The next batch of viewers of a batched read-back (about `readBackBatch` views); nil when
    /// the read-back is not batched or every viewer was read.
    private func nextReadBackBatch(after resync: Resync?) -> [UserID]? {
        if let resync, resync.viewerFilters == nil { return nil }
        let users = Int32(truncatingIfNeeded: engine.userCount)
        guard readBackNext < users else { return nil }
        var batch: [UserID] = []
        var views = 0
        while readBackNext < users, views < configuration.readBackBatch || batch.isEmpty {
            views += engine.heldViewEstimate(of: readBackNext)
            batch.append(engine.userID(at: readBackNext))
            readBackNext += 1
        }
        return batch
    }

    /// The replay is in: inputs' views flow again, and the reconciliation runs slice by slice.
    private func beginCatchUp(_ catchUp: CatchUp, _ resync: Resync) {
        var filters = [configuration.topics.checkpointTopic, configuration.topics.claimTopic] + resync.syncTopics
        if case .views = resync.stage { filters += resync.filters.filter { !resync.syncTopics.contains($0) } }
        outbox.enqueue(.unsubscribe(filters))
        self.resync = nil
        self.catchUp = catchUp
        phase = .live
        advanceCatchUp(at: .now())
    }

    /// Reconciles the next slice of viewers if the outbox has room (else the outbox wakes the
    /// writer when it drains), then lets the inputs that came meanwhile go first (`wake`).
    /// After the last slice the bridge is ready.
    private func advanceCatchUp(at now: MonotonicInstant) {
        let slice = max(configuration.resyncSlice, 1)
        if var catchUp = self.catchUp, outbox.wakeWhenDrained(below: slice / 2) {
            self.catchUp = nil  // mutate the only copy
            let start = catchUp.nextViewer
            let users = Int32(truncatingIfNeeded: engine.userCount)
            var end = start
            var views = 0
            while end < users, views < slice {
                views += engine.heldViewEstimate(of: end)
                end += 1
            }
            let last = end >= users
            let viewers = start..<(last ? Int32.max : end)
            switch catchUp.source {
            case .record(let trusted, let staleThrough):
                do {
                    catchUp.repaired += try reconcileWithRecord(viewers, trusted: trusted, staleThrough: staleThrough,
                                                                digests: &catchUp.digests)
                } catch {
                    statistics.storeFailures += 1
                    logger.error("cannot read the views record; reading the broker's views back", metadata: ["error": "\(error)"])
                    decided.removeAll(keepingCapacity: true)
                    restartAsReadBack(at: now)
                    return
                }
                catchUp.nextViewer = end
                self.catchUp = catchUp
                flush()
            case .readBack:
                catchUp.repaired += reconcileWithRetainedViews(viewers, last: last, catchUp: &catchUp)
                catchUp.nextViewer = end
                self.catchUp = catchUp
            }
            if last {
                finishResync(catchUp, at: now)
            } else {
                wake()
            }
        }
    }

    /// The views record failed while catching up: trust nothing, read every view back.
    private func restartAsReadBack(at now: MonotonicInstant) {
        catchUp = nil
        readiness.noteResyncBegan(generation: outbox.beginGeneration())
        var resync = Resync(topics: configuration.topics, shard: configuration.shard, startedAt: now, timeoutMilliseconds: Int64(configuration.replayTimeout * 1000))
        phase = .resyncing
        beginReadBack(&resync, at: now)
    }

    /// Every view the resync decided is in the outbox: `bridge/status` online goes behind
    /// them, and the bridge is ready once the publisher has handed it to the broker (`Readiness`).
    private func finishResync(_ catchUp: CatchUp, at now: MonotonicInstant) {
        self.catchUp = nil
        hasBeenLive = true
        statistics.viewsRepaired += catchUp.repaired
        let source = if case .record = catchUp.source { "views record" } else { "read-back" }
        logger.info("resync decided; its views are on their way to the broker", metadata: [
            "from": "\(source)", "views-repaired": "\(catchUp.repaired)",
            "milliseconds": "\(now - catchUp.startedAt)",
        ])
        let online = MQTTMessage(topic: configuration.topics.statusTopic, payload: configuration.statusPayload(online: true, startedAt: started.wall),
                                 qos: .atLeastOnce, retain: true)
        outbox.enqueue(.resyncComplete(online, generation: outbox.generation,
                                       CompletedResync(source: source, viewsRepaired: catchUp.repaired, startedAt: catchUp.startedAt)))
        queueCheckpoint(at: now, force: true)
    }

    // MARK: - Messages

    private func receive(_ message: MQTTMessage, at now: ClockReading) {
        let topics = configuration.topics
        if case .resyncing = phase, resync != nil {
            if message.retain { resync?.noteReplayed(at: now.instant) }
            if message.topic == resync?.syncTopic {
                resync?.markerSeen = true
                return
            }
            if message.topic == topics.checkpointTopic {
                if message.retain { resync?.checkpoint = Checkpoint(payload: message.payload) }
                return
            }
            if message.topic == topics.claimTopic {
                guard message.retain else { return }
                let replayed = BridgeClaim(payload: message.payload)
                resync?.claim = replayed
                // Once this process's claim was confirmed, another one's in a later replay means
                // a newer bridge took this one's session over: stand down before anything else.
                if claimConfirmed, let replayed, replayed != claim { standDown(replayed) }
                return
            }
            if case .views? = resync?.stage {
                if let shard = configuration.shard {
                    if let pair = shard.ownViewPair(topics, message.topic) {
                        noteRetainedView(message, viewer: Substring(pair.viewer.rawValue), target: Substring(pair.target.rawValue))
                    }
                    if topics.viewPair(message.topic) != nil || topics.routedViewPair(message.topic) != nil { return }
                } else if let pair = topics.viewPair(message.topic) {
                    noteRetainedView(message, viewer: pair.viewer, target: pair.target)
                    return
                }
            }
        }
        // A shard of a federation also takes the lists of users homed elsewhere, as their home
        // broker's links deliver them; its user is told of a bad one by the home shard.
        var topic = message.topic
        var federated = false
        if let shard = configuration.shard {
            switch shard.federatedInput(topics, message.topic) {
            case .notFederated:
                break
            case .input(let delivered):
                topic = delivered
                federated = true
            case .ignored:
                statistics.federatedIgnored += 1
                return
            }
        }
        guard let address = topics.inputAddress(topic) else { return }
        statistics.messagesIn += 1
        let user = UserID(address.user)
        let live = !message.retain
        if let shard = configuration.shard, !federated, let user, !shard.owns(user) {
            reject(shard.wrongHome(user), topic: topic, notify: true)
            return
        }
        if federated { statistics.federatedInputs += 1 }
        if live, let user, case .drop(let notify) = rateLimiter.admit(user, at: now.instant) {
            reject(InputRejection(.rateLimited, "over \(Int(configuration.rateLimit)) inputs per second (bursts of \(Int(configuration.rateLimit * 2))): input dropped", user: user),
                   topic: topic, notify: notify && !federated)
            return
        }
        // Settings and lists: a retained replay of the payload last applied is no news. A cleared
        // one (an empty payload, digest `deleted`) is noted as none applied, so that the old
        // payload sent again later is applied again. The digest (a pass over up to 64 KiB) is
        // taken only when needed: to compare a replay with a payload noted, or to note one applied.
        let slot = address.device == nil ? UserInputKind(rawValue: String(address.kind)).map(AppliedInputs.slot) : nil
        var digest: UInt64?
        if !live, let slot, let user, let index = engine.userIndex(of: user), appliedInputs.hasApplied(user: index, kind: slot) {
            let replayed = ViewDigest.of(message.payload)
            digest = replayed
            if appliedInputs.isApplied(user: index, kind: slot, digest: replayed) {
                statistics.inputsApplied += 1
                statistics.retainedUnchanged += 1
                return
            }
        }
        let input: PresenceInput
        do {
            input = try decoder.decode(address, user: user, payload: message.payload)
        } catch {
            reject(error, topic: topic, notify: !federated)
            return
        }
        do {
            take(try engine.apply(input, live: live, at: now))
            statistics.inputsApplied += 1
            if let slot, let user, let index = engine.userIndex(of: user) {
                appliedInputs.note(AppliedInput(user: index, kind: slot, digest: digest ?? ViewDigest.of(message.payload)))
            }
        } catch {
            reject(error, topic: topic, notify: !federated)
        }
    }

    /// A retained view read back: remembered by digest; a self view also gives back the user's
    /// last seen, so that a bridge that lost its store never erases one viewers have seen.
    private func noteRetainedView(_ message: MQTTMessage, viewer: Substring, target: Substring) {
        guard !message.payload.isEmpty else { return }
        let digest = ViewDigest.of(message.payload)
        if let viewerIndex = UserID(viewer).flatMap(engine.userIndex(of:)), let targetIndex = UserID(target).flatMap(engine.userIndex(of:)) {
            resync?.retainedViews[ViewPair.key(viewerIndex, targetIndex)] = digest
        } else {
            resync?.strayViews[message.topic] = digest
        }
        guard viewer == target, let user = UserID(viewer),
              let lastSeen = (try? ViewDecoder.decode(message.payload))?.lastSeen else { return }
        take(engine.adoptPublishedLastSeen(user, lastSeen))
    }

    /// Counts a rejected input and tells its user on `err/{user}` (when the user id is valid).
    private func reject(_ error: InputRejection, topic: String, notify: Bool) {
        statistics.rejected[error.code, default: 0] += 1
        logger.debug("input rejected", metadata: ["topic": "\(topic)", "error": "\(error)"])
        guard notify, let user = error.user else { return }
        outbox.enqueue(MQTTMessage(topic: configuration.topics.errorTopic(user),
                                   payload: ErrorReportPayload.encode(topic: topic, error: error.message), qos: .atMostOnce))
        statistics.errorsPublished += 1
    }

    /// Keeps an output's facts, and its views while live (mid-replay nothing is published: the
    /// end of the resync decides every view at once).
    private func take(_ output: EngineOutput) {
        guard !output.isEmpty else { return }
        durable.append(contentsOf: output.durableChanges)
        guard case .live = phase, !output.viewChanges.isEmpty else { return }
        var encoder = CachingViewEncoder()
        var previousEncoder = CachingViewEncoder()
        for change in output.viewChanges {
            switch change {
            case .publish(_, let target, _, _), .delete(_, let target, _):
                // A shard decides the views of its own targets only; another shard decides the rest.
                guard configuration.owns(target) else { continue }
            }
            switch change {
            case .publish(let viewer, let target, let view, let previous):
                guard let viewerIndex = engine.userIndex(of: viewer), let targetIndex = engine.userIndex(of: target) else { continue }
                let payload = encoder.encode(view)
                decide(DecidedView(viewer: viewerIndex, target: targetIndex, payload: payload, digest: encoder.digest(view),
                                   replacing: previous.map { previousEncoder.digest($0) } ?? ViewDigest.deleted))
            case .delete(let viewer, let target, let previous):
                guard let viewerIndex = engine.userIndex(of: viewer), let targetIndex = engine.userIndex(of: target) else { continue }
                decide(DecidedView(viewer: viewerIndex, target: targetIndex, payload: [], digest: ViewDigest.deleted,
                                   replacing: previousEncoder.digest(previous)))
            }
        }
    }

    /// Takes a view an input decided. While catching up, a view of a viewer not reconciled yet
    /// replaces something unknown (never dropped as a return to what it was), and is noted as
    /// what the broker will hold.
    private func decide(_ view: DecidedView) {
        var view = view
        if catchUp?.isPending(viewer: view.viewer) == true {
            view.replacing = ViewDigest.unknown
            catchUp?.notePublished(viewer: view.viewer, target: view.target, digest: view.digest)
        }
        decided.append(view)
    }

    // MARK: - Timers

    private func tick(at now: MonotonicInstant) {
        take(engine.tick(at: now))
        if now >= nextStatsAt, hasBeenLive {
            publishStatistics(at: now)
        }
        if now >= nextCheckpointAt {
            queueCheckpoint(at: now, force: false)
        }
    }

    private func publishStatistics(at now: MonotonicInstant) {
        refreshGauges()
        outbox.enqueue(MQTTMessage(topic: configuration.topics.statsTopic,
                                   payload: statistics.json(startedAt: started.wall, uptimeMilliseconds: now - started.instant),
                                   qos: .atMostOnce, retain: true))
        nextStatsAt = now.adding(seconds: configuration.statsInterval)
        rateLimiter.forgetIdle(at: now)
    }

    /// Brings the gauges of `statistics` up to date (the engine's cost one pass over its users).
    private func refreshGauges() {
        let engineStatistics = engine.statistics
        statistics.users = engineStatistics.usersKnown
        statistics.internedIDs = engineStatistics.internedIDs
        statistics.devicesOnline = engineStatistics.devicesNotOffline
        statistics.viewsCoalesced = outbox.coalesced
        let mqtt = transport()
        statistics.inboxStalls = mqtt.receiveStalls
        statistics.inboxHighWater = mqtt.bufferHighWater
        statistics.publishesRefused = mqtt.publishesRejected
        statistics.pipeline = timings.snapshot
        statistics.lastResyncMilliseconds = readiness.current.lastResync?.milliseconds ?? 0
        statistics = currentStatistics
    }

    /// The counters, with the sequences as of now (cheap: for every batch).
    var currentStatistics: BridgeStatistics {
        var current = statistics
        current.viewsSequence = store.sequence
        current.checkpointSequence = outbox.checkpointSent
        return current
    }

    /// The earliest of the writer's own deadlines: the engine's next timer, the replay's
    /// timeout, the next checkpoint and the next `bridge/stats`.
    private func wakeTime() -> MonotonicInstant? {
        var times: [MonotonicInstant] = []
        if let deadline = engine.nextDeadline { times.append(deadline) }
        switch phase {
        case .resyncing: if let resync { times.append(resync.deadline) }
        case .live: times.append(nextCheckpointAt)
        case .disconnected: break
        }
        if hasBeenLive { times.append(nextStatsAt) }
        return times.min()
    }

    // MARK: - Checkpoints

    /// Queues the checkpoint marker behind every view decided so far (all batches up to the
    /// store's sequence are in the outbox before it), when there is news or `force`; and forgets
    /// the tombstones that a checkpoint sent long enough ago covers.
    private func queueCheckpoint(at now: MonotonicInstant, force: Bool) {
        nextCheckpointAt = now.adding(seconds: configuration.checkpointInterval)
        // Not while catching up: the record's rows not reconciled yet may be stale, and a later
        // checkpoint on the broker would make a restart trust them.
        guard isCaughtUp else { return }
        let sent = outbox.checkpointSent
        if sent > (checkpointsSent.last?.sequence ?? 0) { checkpointsSent.append((now, sent)) }
        pruneTombstones(at: now)
        forgetDue = true
        guard force || store.sequence > checkpointQueued else { return }
        let marker = Checkpoint(epoch: store.epoch, sequence: store.sequence)
        outbox.enqueue(.checkpoint(MQTTMessage(topic: configuration.topics.checkpointTopic, payload: marker.payload, qos: .atLeastOnce, retain: true),
                                   sequence: marker.sequence, generation: outbox.generation))
        checkpointQueued = marker.sequence
        statistics.checkpointsPublished += 1
    }

    /// A tombstone may go once the broker has certainly saved a state without that view: a
    /// checkpoint covering it was sent more than `tombstoneRetention` ago (see its doc).
    private func pruneTombstones(at now: MonotonicInstant) {
        let retention = Int64(configuration.tombstoneRetention * 1000)
        var through: Int64?
        while let first = checkpointsSent.first, now - first.at >= retention {
            through = first.sequence
            checkpointsSent.removeFirst()
        }
        guard let through else { return }
        do {
            statistics.tombstonesPruned += try store.pruneTombstones(through: through)
        } catch {
            statistics.storeFailures += 1
            logger.error("cannot prune tombstones", metadata: ["error": "\(error)"])
        }
    }

    /// The last batch is done: writes what is needed to carry presence over the restart, and a
    /// last checkpoint, so that the next start republishes nothing that did not change.
    func finish() {
        flush()
        logPipelineTimings()
        do {
            try store.savePresence(engine.presenceSnapshot())
        } catch {
            statistics.storeFailures += 1
            logger.error("cannot write the presence snapshot", metadata: ["error": "\(error)"])
        }
        queueCheckpoint(at: .now(), force: false)
    }

    /// One line per stage of `PipelineTimings`, for the operator who asks where the time went.
    private func logPipelineTimings() {
        for (name, histogram) in timings.snapshot.stages where histogram.count > 0 {
            logger.info("pipeline timing", metadata: [
                "stage": "\(name)", "batches": "\(histogram.count)",
                "p50-us": "\(histogram.quantileMicroseconds(0.5))", "p99-us": "\(histogram.quantileMicroseconds(0.99))",
                "p999-us": "\(histogram.quantileMicroseconds(0.999))", "max-us": "\(histogram.maximumMicroseconds)",
            ])
        }
    }

    // MARK: - Store first, then views

    /// Writes the batch's durable facts, new user ids and view rows in one transaction, then
    /// queues its views: no view can show a last-seen time that the store does not have, and
    /// no view goes out that the views record does not know.
    func flush() {
        numbering += engine.takeNumberingChanges()
        guard !durable.isEmpty || !decided.isEmpty || !appliedInputs.pending.isEmpty || !numbering.isEmpty
            || store.storedIDs < engine.userCount else { return }
        let sequence = decided.isEmpty ? nil : store.sequence + 1
        let rows = decided.map { ViewRecord(viewer: $0.viewer, target: $0.target, digest: $0.digest, sequence: sequence ?? 0) }
        do {
            let start = ContinuousClock.now
            try store.writeBatch(durable, numbering: numbering, ids: newIDs(), views: rows, sequence: sequence,
                                 inputs: appliedInputs.pending)
            let commit = ContinuousClock.now - start
            timings.recordCommit(commit)
            statistics.storeTransactions += 1
            statistics.storeChanges += durable.count + rows.count
        } catch {
            // The facts and views stay pending; they are retried with the next batch.
            statistics.storeFailures += 1
            logger.error("store write failed", metadata: ["error": "\(error)"])
            noteStoreWrite(succeeded: false)
            return
        }
        noteStoreWrite(succeeded: true)
        durable.removeAll(keepingCapacity: true)
        numbering.removeAll()
        appliedInputs.stored()
        for view in decided { enqueue(view) }
        decided.removeAll(keepingCapacity: true)
    }

    /// Tells `readiness` when the store's health changes.
    private func noteStoreWrite(succeeded: Bool) {
        guard succeeded != storeWritable else { return }
        storeWritable = succeeded
        readiness.noteStoreWrite(succeeded: succeeded)
    }

    /// Forgets the users nobody names any more (`PresenceEngine.forgetUnlistedUsers`), once per
    /// checkpoint while caught up and with everything decided stored: a user whose number a row
    /// of the views record still names (a tombstone, until pruned) is kept until it is gone, so
    /// a number is given to another id only when nothing in the store means the old one.
    private func forgetUnlistedUsers() {
        guard forgetDue, isCaughtUp, durable.isEmpty, decided.isEmpty, numbering.isEmpty,
              store.storedIDs == engine.userCount else { return }
        forgetDue = false
        var failed = false
        let forgotten = engine.forgetUnlistedUsers { index in
            do { return try store.hasViewRows(naming: index) } catch {
                failed = true
                return true
            }
        }
        if failed { statistics.storeFailures += 1 }
        guard forgotten > 0 else { return }
        statistics.idsForgotten += forgotten
        flush()
    }

    /// The ids the engine numbered since the store last recorded its ids.
    func newIDs() -> ArraySlice<UserID> {
        guard store.storedIDs < engine.userCount else { return [] }
        return ArraySlice((store.storedIDs..<engine.userCount).map { engine.userID(at: Int32($0)) })
    }

    /// Hands one decided view to the outbox.
    func enqueue(_ view: DecidedView) {
        let topic = configuration.viewTopic(viewer: engine.userID(at: view.viewer), target: engine.userID(at: view.target))
        outbox.enqueueView(topic: topic, payload: view.payload, digest: view.digest, replacing: view.replacing)
        if view.payload.isEmpty {
            statistics.viewsDeleted += 1
        } else {
            statistics.viewsPublished += 1
        }
    }
}

/// A view the writer has decided to publish (or delete: an empty payload), by user index.
struct DecidedView {
    var viewer: Int32
    var target: Int32
    var payload: [UInt8]
    var digest: UInt64
    /// The digest of what the viewer held before (`ViewDigest.deleted`: nothing;
    /// `ViewDigest.unknown`: not known, so the outbox never drops it as a change undone).
    var replacing: UInt64
}

/// Encodes views, reusing the bytes of the previous view when the next is equal: a change
/// seen by many viewers in the same class is encoded once.
struct CachingViewEncoder {
    private var lastView: View?
    private var lastBytes: [UInt8] = []
    private var lastDigest: UInt64?

    mutating func encode(_ view: View) -> [UInt8] {
        if view == lastView { return lastBytes }
        lastView = view
        lastBytes = ViewEncoder.encode(view)
        lastDigest = nil
        return lastBytes
    }

    /// The `ViewDigest` of the view's bytes, computed once per distinct view.
    mutating func digest(_ view: View) -> UInt64 {
        let bytes = encode(view)
        if let lastDigest { return lastDigest }
        let digest = ViewDigest.of(bytes)
        lastDigest = digest
        return digest
    }
}

extension MonotonicInstant {
    /// The instant `seconds` after this one (saturating).
    func adding(seconds: Double) -> MonotonicInstant {
        self + Int64(seconds * 1000)
    }
}

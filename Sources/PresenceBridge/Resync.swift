import PresenceCore
import PresenceWire

/// A resynchronisation in progress, in the order the broker answers it.
///
/// 1. `.inputs`: one SUBSCRIBE to the inputs, the checkpoint and a sync topic of its own, then
///    a marker on the sync topic. mosquitto queues a subscription's retained messages before it
///    routes any later publish to the same client, so the marker arrives after the whole
///    replay. If the broker's checkpoint is of this store's epoch and not beyond its latest
///    batch, the views record is trusted and the resync ends here.
/// 2. `.views` (otherwise: a wiped broker, a new or older store, another bridge's broker):
///    the same again for the retained views, read back to learn what the broker holds: all at
///    once (`out/+/+`) when they are few, else in batches of viewers (`out/{viewer}/+`), because
///    mosquitto queues every retained message of a subscription at once and drops those beyond
///    its `max_queued_messages` (1,000,000 as shipped). A batched read-back cannot see views of
///    viewers the engine does not know.
///
/// The timeout is the fallback for brokers that do not keep that order: once no retained
/// message has come for that long, the stage is taken as complete (it counts from the last
/// one, so a long replay is never cut short). Driven by the writer with values: nothing here
/// waits.
struct Resync {
    enum Stage { case inputs, views }

    private(set) var stage = Stage.inputs
    /// This stage's sync topic, with a last level new for every stage, so a late marker of an
    /// earlier one is ignored.
    private(set) var syncTopic: String
    /// Every sync topic subscribed so far, to unsubscribe at the end.
    private(set) var syncTopics: [String]
    /// When the resync began, and when the latest retained message arrived (or the stage
    /// started): monotonic, so a step of the wall clock neither cuts a replay short nor stalls it.
    let startedAt: MonotonicInstant
    private let timeoutMilliseconds: Int64
    private var lastReplayedAt: MonotonicInstant
    private let topics: TopicLayout
    /// A shard of a federation also takes the lists delivered by the links, and reads back its
    /// routed views beside its local ones (`Shard`).
    private let shard: Shard?
    /// The broker's checkpoint, as replayed.
    var checkpoint: Checkpoint?
    /// The broker's `bridge/claim`, as replayed.
    var claim: BridgeClaim?
    /// Digests of the retained views the broker holds (stage `.views` only), by user index pair
    /// (`ViewPair`), and by topic for those naming users the engine does not know.
    var retainedViews: [UInt64: UInt64] = [:]
    var strayViews: [String: UInt64] = [:]
    var markerSeen = false
    /// With a batched read-back: the viewers of the batch in flight (their `out/{viewer}/+`).
    private(set) var viewerFilters: [String]?

    init(topics: TopicLayout, shard: Shard? = nil, startedAt: MonotonicInstant, timeoutMilliseconds: Int64) {
        self.topics = topics
        self.shard = shard
        syncTopic = Self.newSyncTopic(topics)
        syncTopics = [syncTopic]
        self.startedAt = startedAt
        self.timeoutMilliseconds = timeoutMilliseconds
        lastReplayedAt = startedAt
    }

    /// What to subscribe to for the current stage. The claim first: mosquitto queues each
    /// filter's retained messages in the order of the SUBSCRIBE, so a bridge taken over reads
    /// the newcomer's claim before the inputs and stands down at once (`BridgeWriter.receive`).
    var filters: [String] {
        switch stage {
        case .inputs: [topics.claimTopic, topics.checkpointTopic, topics.inputFilter, syncTopic] + (shard == nil ? [] : topics.federatedInputFilters)
        case .views: (viewerFilters ?? [topics.viewFilter] + (shard == nil ? [] : [topics.routedViewFilter])) + [syncTopic]
        }
    }

    var deadline: MonotonicInstant { lastReplayedAt + timeoutMilliseconds }

    func isStageComplete(at now: MonotonicInstant) -> Bool { markerSeen || now >= deadline }

    /// Notes that a retained message arrived: the replay is still going.
    mutating func noteReplayed(at now: MonotonicInstant) { lastReplayedAt = now }

    /// Moves on to reading the retained views back: all of them (`viewers` nil) or those of
    /// one batch of viewers (called again for each next batch).
    mutating func beginViews(at now: MonotonicInstant, viewers: [UserID]? = nil) {
        stage = .views
        viewerFilters = viewers.map { $0.map { shard?.viewFilter(topics, of: $0) ?? topics.viewFilter(of: $0) } }
        syncTopic = Self.newSyncTopic(topics)
        syncTopics.append(syncTopic)
        markerSeen = false
        lastReplayedAt = now
    }

    private static func newSyncTopic(_ topics: TopicLayout) -> String {
        var generator = SystemRandomNumberGenerator()
        return topics.syncTopic(String(generator.next(), radix: 36))
    }
}

/// A (viewer, target) pair of user indices in one integer, as a compact dictionary key.
enum ViewPair {
    static func key(_ viewer: Int32, _ target: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: viewer)) << 32 | UInt64(UInt32(bitPattern: target))
    }

    static func viewer(_ key: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key >> 32)) }
    static func target(_ key: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key)) }
}

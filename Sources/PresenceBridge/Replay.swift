import PresenceCore

/// A resynchronisation in progress: the broker is replaying retained inputs and views.
///
/// The bridge subscribes to the inputs, to the retained views and to a sync topic of its own in
/// one SUBSCRIBE, then publishes a marker on the sync topic. mosquitto queues a subscription's
/// retained messages before it routes any later publish to the same client, so the marker
/// arrives after the whole replay. The timeout is the fallback for brokers that do not keep
/// that order: once no retained message has come for that long, the replay is taken as complete
/// (it counts from the last one, so a long replay is never cut short).
struct Replay {
    /// The sync topic, with a last level new for every resync so a late marker of an old one is ignored.
    let syncTopic: String
    let startedAt: Timestamp
    private let timeoutMilliseconds: Int64
    /// When the latest retained message arrived (or the resync started).
    private var lastReplayedAt: Timestamp
    /// Hashes of the retained views the broker holds, by topic.
    var existingViews: [String: Int] = [:]
    var markerSeen = false

    init(topics: TopicLayout, startedAt: Timestamp, timeoutMilliseconds: Int64) {
        var generator = SystemRandomNumberGenerator()
        syncTopic = topics.syncTopic(String(generator.next(), radix: 36))
        self.startedAt = startedAt
        self.timeoutMilliseconds = timeoutMilliseconds
        lastReplayedAt = startedAt
    }

    var deadline: Timestamp {
        Timestamp(millisecondsSinceEpoch: lastReplayedAt.millisecondsSinceEpoch + timeoutMilliseconds)
    }

    func isComplete(at now: Timestamp) -> Bool { markerSeen || now >= deadline }

    /// Notes that a retained message arrived: the replay is still going.
    mutating func noteReplayed(at now: Timestamp) { lastReplayedAt = now }
}

import PresenceCore

/// A resynchronisation in progress: the broker is replaying retained inputs and views.
///
/// The bridge subscribes to the inputs, to the retained views and to a sync topic of its own in
/// one SUBSCRIBE, then publishes a marker on the sync topic. mosquitto queues a subscription's
/// retained messages before it routes any later publish to the same client, so the marker
/// arrives after the whole replay. The deadline is the fallback for brokers that do not keep
/// that order: when it passes, the replay is taken as complete.
struct Replay {
    /// The sync topic's last level, new for every resync so a late marker of an old one is ignored.
    let token: String
    let startedAt: Timestamp
    let deadline: Timestamp
    /// Hashes of the retained views the broker holds, by topic.
    var existingViews: [String: Int] = [:]
    var markerSeen = false

    init(startedAt: Timestamp, timeoutMilliseconds: Int64) {
        var generator = SystemRandomNumberGenerator()
        token = String(generator.next(), radix: 36)
        self.startedAt = startedAt
        deadline = Timestamp(millisecondsSinceEpoch: startedAt.millisecondsSinceEpoch + timeoutMilliseconds)
    }

    func isComplete(at now: Timestamp) -> Bool { markerSeen || now >= deadline }

    static func hash(_ payload: [UInt8]) -> Int {
        var hasher = Hasher()
        hasher.combine(payload.count)
        payload.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}

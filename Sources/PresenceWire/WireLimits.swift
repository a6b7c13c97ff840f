import PresenceCore

/// The limits of the wire contract, each stated once. The decoder enforces them on every
/// input; a client that checks before it sends (PresenceClient) calls the same functions.
///
/// Two limits belong to PresenceCore's types: ids are 1 to 64 characters (`UserID`,
/// `DeviceID`) and a user has at most 16 devices (`EngineConfiguration.maxDevicesPerUser`).
/// Lengths count characters (`String.count`), not bytes.
public enum WireLimits {
    /// The largest payload, in bytes: the broker's `message_size_limit` (64 KiB).
    public static let payloadBytes = 65_536
    /// The longest `session` of a state or a heartbeat.
    public static let sessionLength = 64
    /// The longest `platform` of a state.
    public static let platformLength = 32
    /// The longest activity detail (`conversationId`, `page`, `reason`), and a state's `reason`.
    public static let detailLength = 256
    /// The most ids in an activity's `to`.
    public static let audienceSize = 100
    /// An activity's `ttl` in seconds: 0 (until replaced) to one day.
    public static let ttlSeconds: ClosedRange<Double> = 0...86_400
    /// The most distinct ids in `contacts` and in `blocked`, unless the bridge is told
    /// otherwise (`--max-list`).
    public static let defaultListSize = 2000
    /// The most distinct ids in `watch`, unless the bridge is told otherwise (`--max-watch`).
    public static let defaultWatchSize = 500

    /// Rejects a payload over `payloadBytes`.
    public static func checkPayload(size: Int, user: UserID?) throws(InputRejection) {
        guard size <= payloadBytes else {
            throw InputRejection(.payloadTooLarge, "payload of \(size) bytes is over the limit of \(payloadBytes)", user: user)
        }
    }

    /// Rejects `text`, the value of `field`, when it is longer than `limit` characters.
    public static func checkLength(_ text: String, of field: String, limit: Int, user: UserID?) throws(InputRejection) {
        guard text.count <= limit else {
            throw InputRejection(.invalidField, "\"\(field)\" is longer than \(limit) characters", user: user)
        }
    }

    /// Rejects a `to` of more than `audienceSize` ids.
    public static func checkAudience(count: Int, user: UserID?) throws(InputRejection) {
        try checkList("to", count: count, limit: audienceSize, user: user)
    }

    /// Rejects a list (`name`) of `count` ids when that is over `limit`; `counted` says what
    /// was counted, for the message.
    public static func checkList(_ name: String, count: Int, limit: Int, counted: String = "ids", user: UserID?) throws(InputRejection) {
        guard count <= limit else {
            throw InputRejection(.listTooLong, "\(name) has \(count) \(counted), over the limit of \(limit)", user: user)
        }
    }

    /// Rejects a `ttl` outside `ttlSeconds` (infinities and NaN included).
    public static func checkTTL(seconds: Double, user: UserID?) throws(InputRejection) {
        guard ttlSeconds.contains(seconds) else {
            throw InputRejection(.invalidField, "\"ttl\" must be a number of seconds from 0 to 86400", user: user)
        }
    }

    /// Every limit of an activity: its detail, its `to` and its `ttl`. The decoder checks the
    /// same limits field by field as it reads them; a client calls this before it sends.
    public static func check(_ activity: Activity, user: UserID?) throws(InputRejection) {
        if let detail = activity.detail {
            try checkLength(detail, of: activity.kind.detailKey, limit: detailLength, user: user)
        }
        if let audience = activity.audience {
            try checkAudience(count: audience.count, user: user)
        }
        if let ttl = activity.ttlMilliseconds {
            try checkTTL(seconds: Double(ttl) / 1000, user: user)
        }
    }
}

/// What a user is doing, beyond being present.
public enum ActivityKind: String, Sendable, Hashable, CaseIterable {
    /// Typing in a conversation (`conversationId`).
    case typing
    /// Looking at a page (`page`).
    case viewing
    /// Busy, with an optional `reason`.
    case busy
}

/// One decoded `in/{user}/{device}/activity` message (idle is `nil`, not an `Activity`).
public struct Activity: Sendable, Equatable {
    /// The kind of activity.
    public var kind: ActivityKind
    /// The one field that goes with the kind: conversationId (typing), page (viewing), reason (busy).
    public var detail: String?
    /// `to`: only these viewers (and the user itself) see the activity; nil = everyone allowed.
    public var audience: [UserID]?
    /// Lease in ms: nil = the configuration's default, 0 = until replaced (negative counts as 0).
    public var ttlMilliseconds: Int64?

    /// An activity; without `audience` and `ttlMilliseconds` it is public with the default lease.
    public init(kind: ActivityKind, detail: String? = nil, audience: [UserID]? = nil, ttlMilliseconds: Int64? = nil) {
        self.kind = kind
        self.detail = detail
        self.audience = audience
        self.ttlMilliseconds = ttlMilliseconds
    }
}

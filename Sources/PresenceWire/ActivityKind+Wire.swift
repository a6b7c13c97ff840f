import PresenceCore

extension ActivityKind {
    /// The one field that goes with the kind, in an activity input and in a view:
    /// `conversationId` (typing), `page` (viewing), `reason` (busy).
    public var detailKey: String {
        switch self {
        case .typing: "conversationId"
        case .viewing: "page"
        case .busy: "reason"
        }
    }

    /// The `type` of an activity, `typing`, `viewing` or `busy`; `idle` is no activity.
    public static let idleType = "idle"
}

import PresenceCore

/// One change of the viewer's directory: a target's view arrived or changed, or it was removed.
public enum ViewUpdate: Sendable, Hashable {
    /// The latest view of a target (new, or different from the previous one).
    case updated(PresenceView)
    /// The bridge deleted the view (empty retained payload): the viewer no longer lists the target.
    case removed(UserID)

    /// The target the update is about.
    public var target: UserID {
        switch self {
        case .updated(let view): view.user
        case .removed(let user): user
        }
    }
}

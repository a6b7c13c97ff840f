import PresenceCore

/// The latest view per target: the viewer's whole presence list, from one subscription to
/// `out/{viewer}/+` (the views are retained, so it fills at once and then follows every change).
///
/// A snapshot: a value that does not change under the caller. A target is in it from its first
/// view until the bridge deletes that view (the viewer took the target off its lists).
public struct PresenceDirectory: Sendable, Hashable {
    /// Every target's latest view.
    public private(set) var views: [UserID: PresenceView] = [:]

    /// An empty directory.
    public init() {}

    /// The latest view of `target`, nil if the viewer holds none.
    public subscript(target: UserID) -> PresenceView? { views[target] }

    /// The targets, sorted by id.
    public var targets: [UserID] { views.keys.sorted() }

    /// The views, sorted by target id.
    public var sortedViews: [PresenceView] { views.values.sorted { $0.user < $1.user } }

    /// How many targets.
    public var count: Int { views.count }

    /// true when no target is held.
    public var isEmpty: Bool { views.isEmpty }

    /// Applies `update`; returns false when it changes nothing (same view again, or removing
    /// a target not held), so that no update is reported twice.
    mutating func apply(_ update: ViewUpdate) -> Bool {
        switch update {
        case .updated(let view):
            guard views[view.user] != view else { return false }
            views[view.user] = view
            return true
        case .removed(let target):
            return views.removeValue(forKey: target) != nil
        }
    }
}

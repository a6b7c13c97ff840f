/// A change to one retained view: publish its new content, or delete it.
public enum ViewChange: Sendable, Equatable {
    /// `out/{viewer}/{target}` now holds `view` (published only when it differs from before).
    case publish(viewer: UserID, target: UserID, view: View)
    /// `out/{viewer}/{target}` is deleted: the viewer took the target off its lists.
    case delete(viewer: UserID, target: UserID)
}

/// A change to one retained view: publish its new content, or delete it.
///
/// Each change also says what the view was before it (nil: the viewer held none), so that a
/// publisher that falls behind and skips intermediate views can tell when a chain of changes
/// comes back to where it started, and then send nothing.
public enum ViewChange: Sendable, Equatable {
    /// `out/{viewer}/{target}` now holds `view`, which differs from `previous`.
    case publish(viewer: UserID, target: UserID, view: View, previous: View?)
    /// `out/{viewer}/{target}` is deleted: the viewer took the target off its lists.
    case delete(viewer: UserID, target: UserID, previous: View)
}

/// What one input or tick changed: views to publish or delete, facts to persist.
public struct EngineOutput: Sendable, Equatable {
    /// View changes in a deterministic order; each one changes what its viewer holds.
    public var viewChanges: [ViewChange]
    /// Durable facts that changed; persist them before publishing `viewChanges`.
    public var durableChanges: [DurableChange]

    /// An output; empty by default.
    public init(viewChanges: [ViewChange] = [], durableChanges: [DurableChange] = []) {
        self.viewChanges = viewChanges
        self.durableChanges = durableChanges
    }

    /// True when nothing changed.
    public var isEmpty: Bool { viewChanges.isEmpty && durableChanges.isEmpty }
}

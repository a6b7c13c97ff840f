import PresenceCore

extension PresenceView {
    /// "Just now", "5m ago", "3h ago", "2d ago" or the date, as of `now`; nil without a `lastSeen`.
    ///
    /// The same text as PresenceCore's `LastSeenText`; refresh it as time passes (the view itself
    /// changes only when the target goes offline again).
    public func lastSeenText(now: Timestamp) -> String? {
        lastSeen.map { LastSeenText.describe($0, now: now) }
    }

    /// `lastSeenText(now:)` as of the wall clock now.
    public func lastSeenText() -> String? {
        lastSeenText(now: .wallClockNow())
    }
}

extension ActivityView {
    /// What an app shows: "Typing…", "Viewing /inbox" (or "Viewing"), "Busy: In a meeting" (or "Busy").
    public var displayText: String {
        switch kind {
        case .typing: return "Typing…"
        case .viewing: return detail.map { "Viewing \($0)" } ?? "Viewing"
        case .busy: return detail.map { "Busy: \($0)" } ?? "Busy"
        }
    }
}

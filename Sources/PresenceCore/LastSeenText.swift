/// Human text for a last-seen time, as apps show it next to a contact.
///
/// "Just now" under a minute (and for times in the future), "5m ago" under an hour,
/// "3h ago" under a day, "2d ago" under a week, else the UTC date "2026-11-28".
/// Units are whole and rounded down.
public enum LastSeenText {
    /// Describes `lastSeen` as seen at `now`.
    public static func describe(_ lastSeen: Timestamp, now: Timestamp) -> String {
        let elapsed = now - lastSeen
        let minute: Int64 = 60_000
        let hour = 60 * minute
        let day = 24 * hour
        switch elapsed {
        case ..<minute: return "Just now"
        case ..<hour: return "\(elapsed / minute)m ago"
        case ..<day: return "\(elapsed / hour)h ago"
        case ..<(7 * day): return "\(elapsed / day)d ago"
        default:
            let ms = lastSeen.millisecondsSinceEpoch
            let days = ms >= 0 ? ms / day : (ms - day + 1) / day
            return CivilDate(daysSinceEpoch: days).text
        }
    }
}

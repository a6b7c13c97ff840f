import PresenceCore
import Testing

@Suite("Last-seen text reads like an app shows it")
struct LastSeenTextTests {
    static let seen = Timestamp(millisecondsSinceEpoch: 1_795_909_200_120)  // 2026-11-28T23:40:00.120Z
    static let minute: Int64 = 60_000
    static let hour = 60 * minute
    static let day = 24 * hour

    static let boundaries: [(Int64, String)] = [
        (-5_000, "Just now"),
        (0, "Just now"),
        (minute - 1, "Just now"),
        (minute, "1m ago"),
        (5 * minute, "5m ago"),
        (hour - 1, "59m ago"),
        (hour, "1h ago"),
        (3 * hour, "3h ago"),
        (day - 1, "23h ago"),
        (day, "1d ago"),
        (2 * day, "2d ago"),
        (7 * day - 1, "6d ago"),
        (7 * day, "2026-11-28"),
        (400 * day, "2026-11-28"),
    ]

    static let dates: [(Int64, String)] = [
        (0, "1970-01-01"),
        (951_782_400_000, "2000-02-29"),
        (1_795_910_399_999, "2026-11-28"),
        (1_795_910_400_000, "2026-11-29"),
        (-1, "1969-12-31"),
    ]

    @Test("describes each boundary", arguments: boundaries)
    func describesBoundaries(elapsed: Int64, text: String) {
        #expect(LastSeenText.describe(Self.seen, now: Self.seen + elapsed) == text)
    }

    @Test("old dates are written in UTC", arguments: dates)
    func oldDatesUseUTC(milliseconds: Int64, text: String) {
        let seen = Timestamp(millisecondsSinceEpoch: milliseconds)
        #expect(LastSeenText.describe(seen, now: seen + 30 * Self.day) == text)
    }

    @Test("a timestamp prints as ISO 8601 with milliseconds")
    func timestampDescription() {
        #expect(Self.seen.description == "2026-11-28T23:40:00.120Z")
        #expect((Self.seen + 880) - Self.seen == 880)
    }
}

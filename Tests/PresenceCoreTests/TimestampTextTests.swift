import Testing
@testable import PresenceCore

@Suite("ISO 8601 text of a time")
struct TimestampTextTests {
    @Test("times are written in UTC with milliseconds", arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_795_909_200_120), "2026-11-28T23:40:00.120Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
    ])
    func written(_ milliseconds: Int64, _ text: String) {
        let time = Timestamp(millisecondsSinceEpoch: milliseconds)
        #expect(time.iso8601 == text)
        #expect(time.description == text)
        #expect(Timestamp(iso8601: text) == time)
    }

    @Test("every instant of four-digit years reads back as written")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        let first = Timestamp(iso8601: "0000-01-01T00:00:00.000Z")!.millisecondsSinceEpoch
        let last = Timestamp(iso8601: "9999-12-31T23:59:59.999Z")!.millisecondsSinceEpoch
        for _ in 0..<2000 {
            let time = Timestamp(millisecondsSinceEpoch: Int64.random(in: first...last, using: &generator))
            #expect(Timestamp(iso8601: time.iso8601) == time, "\(time.millisecondsSinceEpoch)")
        }
    }

    @Test("the extremes of the range are written without trapping")
    func extremes() {
        #expect(Timestamp(millisecondsSinceEpoch: .max).iso8601.hasSuffix("Z"))
        #expect(Timestamp(millisecondsSinceEpoch: .min).iso8601.hasPrefix("-"))
    }

    @Test("other precisions read to the millisecond", arguments: [
        ("1970-01-01T00:00:01Z", Int64(1000)),
        ("1970-01-01T00:00:01.5Z", Int64(1500)),
        ("2000-03-01T00:00:00.123456789Z", Int64(951_868_800_123)),
    ])
    func precisions(_ text: String, _ milliseconds: Int64) {
        #expect(Timestamp(iso8601: text)?.millisecondsSinceEpoch == milliseconds)
    }

    @Test("anything else is not a time", arguments: [
        "", "yesterday", "2026-11-28 23:40:00.120Z", "2026-11-28T23:40:00.120+01:00", "2026-11-28T23:40:00.120",
        "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-28T24:00:00Z",
        "2026-11-28T23:60:00Z", "2026-11-28T23:40:60Z", "2026-11-28T23:40:00.Z", "2026-11-28T23:40:00.1234567890Z",
        "2026-1a-28T23:40:00Z",
    ])
    func rejected(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }
}

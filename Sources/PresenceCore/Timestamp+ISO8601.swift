extension Timestamp {
    /// `2026-11-28T23:40:00.120Z`: ISO 8601 in UTC with milliseconds, the one text form of a
    /// time. It is the wire's (a view's `lastSeen`, `bridge/status`'s `startedAt`, written by
    /// PresenceWire) and the `description` in logs and test failures.
    ///
    /// Built in one byte buffer: no locale, no time-zone database, no Foundation.
    public var iso8601: String {
        let dayLength: Int64 = 86_400_000
        let milliseconds = millisecondsSinceEpoch
        // Floor division, and the remainder of it, that cannot overflow even at Int64.min.
        let remainder = milliseconds % dayLength
        let days = milliseconds / dayLength - (remainder < 0 ? 1 : 0)
        let inDay = UInt64(remainder < 0 ? remainder + dayLength : remainder)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        CivilDate(daysSinceEpoch: days).append(to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(inDay / 3_600_000, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(inDay / 60_000 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(inDay / 1000 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        appendDigits(inDay % 1000, width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a UTC time in ISO 8601: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9
    /// digits (read to the millisecond, the rest dropped), then `Z`. What `iso8601` writes
    /// reads back to the same instant.
    ///
    /// nil for anything else: another offset than `Z`, a date that does not exist
    /// (`2026-02-30`), an hour past 23, a minute or second past 59.
    public init?(iso8601 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 30, bytes[bytes.count - 1] == UInt8(ascii: "Z"),
              bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let date = CivilDate(year: year, month: month, day: day),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              hour < 24, minute < 60, second < 60 else { return nil }
        var millisecond: Int64 = 0
        let end = bytes.count - 1
        if end > 19 {
            let digits = end - 20
            guard bytes[19] == UInt8(ascii: "."), (1...9).contains(digits), let fraction = number(20..<end) else { return nil }
            millisecond = fraction
            var scale = digits
            while scale < 3 { millisecond *= 10; scale += 1 }
            while scale > 3 { millisecond /= 10; scale -= 1 }
        }
        let seconds = ((date.daysSinceEpoch * 24 + hour) * 60 + minute) * 60 + second
        self.init(millisecondsSinceEpoch: seconds * 1000 + millisecond)
    }
}

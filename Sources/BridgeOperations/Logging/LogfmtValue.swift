/// The logfmt rules, in one place: when a value is quoted and how its characters are escaped.
///
/// A value is written bare when it is non-empty and has only printable characters other than
/// space, `=`, `"` and `\`; otherwise it is quoted, with `"` and `\` escaped by a backslash,
/// newline, carriage return and tab as `\n`, `\r`, `\t`, and every other control character
/// (C0, DEL and C1) as `\u00XX`. Non-ASCII text stays as it is (logfmt lines are UTF-8).
enum LogfmtValue {
    /// `value` as a logfmt value: bare, or quoted and escaped.
    static func quoted(_ value: String) -> String {
        if !value.isEmpty, value.unicodeScalars.allSatisfy(isBare) { return value }
        return "\"" + escaped(value) + "\""
    }

    /// `value` with `"`, `\` and control characters escaped; spaces kept.
    static func escaped(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isControl(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A key: letters, digits, `_`, `.` and `-` kept, anything else `_` (never empty).
    static func key(_ key: String) -> String {
        let kept = String(key.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_.-".unicodeScalars.contains(scalar))
                ? Character(scalar) : "_"
        })
        return kept.isEmpty ? "_" : kept
    }

    private static func isBare(_ scalar: Unicode.Scalar) -> Bool {
        !(scalar == " " || scalar == "=" || scalar == "\"" || scalar == "\\" || isControl(scalar))
            && !scalar.properties.isWhitespace
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}

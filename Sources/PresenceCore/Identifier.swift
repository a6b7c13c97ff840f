/// The identifier rule shared by user and device ids.
///
/// 1 to 64 characters from `A-Z a-z 0-9 . _ - @`, the first a letter or a digit.
enum Identifier {
    /// The longest valid identifier, in characters (all valid characters are one byte).
    static let maximumLength = 64

    /// True when `text` follows the rule; anything else (empty, `+`, `#`, `/`, `$`, spaces,
    /// non-ASCII, too long) is not an identifier.
    static func isValid(_ text: some StringProtocol) -> Bool {
        if let string = text as? String {
            var string = string
            return string.withUTF8 { isValid(bytes: $0) }
        }
        var string = String(text)
        return string.withUTF8 { isValid(bytes: $0) }
    }

    /// The rule over UTF-8 bytes (any byte ≥ 0x80 fails: ids are ASCII).
    static func isValid(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        var isFirst = true
        for byte in bytes {
            let isAlphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                || (byte >= 0x61 && byte <= 0x7A)
            if isFirst {
                guard isAlphanumeric else { return false }
                isFirst = false
            } else {
                // . _ - @
                guard isAlphanumeric || byte == 0x2E || byte == 0x5F || byte == 0x2D || byte == 0x40 else {
                    return false
                }
            }
        }
        return true
    }
}

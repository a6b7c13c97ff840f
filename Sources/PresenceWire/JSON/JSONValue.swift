/// A parsed JSON document, as small as the payloads need.
///
/// Every payload is parsed with `JSONValue.parse`, a strict RFC 8259 parser over the raw bytes
/// (`JSONParser`): several times cheaper than Foundation's decoders on the 50-200 byte payloads
/// devices send, and its errors say where the input went wrong. The contract's rules of JSON
/// are kept here: white space around the value is allowed, a key repeated in an object makes
/// the document invalid, any nesting that is valid JSON parses, and a number too large for a
/// `Double` is ±infinity rather than an error (only a field that needs a number in range
/// rejects it). Reading an object's fields goes through `field(_:)`, where `null` counts as absent.
package enum JSONValue: Equatable, Sendable {
    /// `null`; as the value of a field, the field is absent (`field(_:)`).
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number; ±infinity beyond a `Double`'s range.
    case number(Double)
    /// A string, escapes resolved, valid UTF-8.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; its keys are distinct (a repeated key is a syntax error).
    case object([String: JSONValue])
    /// An array or object nested deeper than `maximumDepth`: valid JSON, checked, not kept.
    case skipped

    /// The deepest nesting kept. Payloads are flat (a view nests three levels), so anything
    /// deeper can only be under a key the contract does not name, which is ignored.
    package static let maximumDepth = 16

    /// JSON's white space: space, tab, line feed, carriage return.
    package static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Parses a whole payload; trailing bytes other than white space are an error.
    package static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) -> JSONValue in
            var parser = JSONParser(bytes: buffer)
            return try parser.parseDocument()
        }
    }

    /// A short name of the value's type, for error messages ("expected a string, got a number").
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        case .skipped: "a deeply nested value"
        }
    }
}

extension [String: JSONValue] {
    /// The value of an optional field: nil when the key is missing *or its value is `null`*
    /// (the contract: null for an optional field means the field is absent).
    package func field(_ key: String) -> JSONValue? {
        guard let value = self[key] else { return nil }
        if case .null = value { return nil }
        return value
    }
}

/// Why a payload is not JSON, with the byte offset where parsing stopped.
package struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The byte where parsing stopped.
    package var offset: Int
    /// What is wrong there.
    package var problem: String
    /// `invalid JSON at byte N: problem`.
    package var description: String { "invalid JSON at byte \(offset): \(problem)" }
}

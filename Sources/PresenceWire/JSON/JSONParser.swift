/// The parser behind `JSONValue.parse`, over a byte buffer; it never reads past the end.
///
/// Containers are read with a stack of its own rather than by recursion, so any nesting that
/// fits in a payload parses (JSON allows it, and an unknown key may hold anything). Values
/// nested deeper than `JSONValue.maximumDepth` are checked in full, repeated keys included, but
/// not kept: they read as `.skipped`, which keeps every tree the parser returns shallow (a deep
/// tree would also be released by recursion).
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected data after the value") }
        return value
    }

    func failure(_ problem: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: index, problem: problem)
    }

    mutating func skipWhitespace() {
        while index < bytes.count, JSONValue.isWhitespace(bytes[index]) { index += 1 }
    }

    /// Reads one value, with everything nested in it; `open` holds the containers not closed yet.
    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        var open: [OpenContainer] = []
        while true {
            // A value starts here.
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            let kept = open.count < JSONValue.maximumDepth
            var value: JSONValue
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var container = OpenContainer(isObject: bytes[index] == UInt8(ascii: "{"), isKept: kept)
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == container.closer {
                    index += 1
                    value = container.value
                } else {
                    if container.isObject { try readKey(into: &container) }
                    open.append(container)
                    continue
                }
            case UInt8(ascii: "\""): value = .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); value = .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); value = .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = .number(try parseNumber())
            default: throw failure("unexpected character")
            }
            // A value ends here: it goes into its container, and closes every container it ends.
            while true {
                guard var container = open.popLast() else { return value }
                container.add(value)
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    if container.isObject { try readKey(into: &container) }
                    open.append(container)
                    break
                }
                guard bytes[index] == container.closer else {
                    throw failure(container.isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                }
                index += 1
                value = container.value
            }
        }
    }

    /// Reads `"key":` of the next member; a key the object already has is an error there.
    private mutating func readKey(into container: inout OpenContainer) throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a string key") }
        let keyStart = index
        let key = try parseString()
        guard container.begin(key) else {
            throw JSONSyntaxError(offset: keyStart, problem: "duplicate key \"\(key.count > 64 ? key.prefix(64) + "…" : key)\"")
        }
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
        index += 1
    }
}

/// An array or object being read: what it holds so far (nothing when it is nested too deep to
/// be kept) and, for an object, the key of the member being read.
private struct OpenContainer {
    let isObject: Bool
    let isKept: Bool
    private var elements: [JSONValue] = []
    private var members: [String: JSONValue] = [:]
    /// The keys of an object that is not kept, for repeated keys.
    private var keys: Set<String> = []
    private var key = ""

    init(isObject: Bool, isKept: Bool) {
        self.isObject = isObject
        self.isKept = isKept
    }

    /// `}` or `]`.
    var closer: UInt8 { isObject ? UInt8(ascii: "}") : UInt8(ascii: "]") }

    /// Starts the member `key`; false when the object has it already.
    mutating func begin(_ key: String) -> Bool {
        self.key = key
        return isKept ? members[key] == nil : keys.insert(key).inserted
    }

    /// Adds the value just read: the next element, or the value of the member begun.
    mutating func add(_ value: JSONValue) {
        guard isKept else { return }
        if isObject { members[key] = value } else { elements.append(value) }
    }

    /// The container as a value.
    var value: JSONValue {
        guard isKept else { return .skipped }
        return isObject ? .object(members) : .array(elements)
    }
}

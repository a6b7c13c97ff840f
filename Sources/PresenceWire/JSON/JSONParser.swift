/// The parser behind `JSONValue.parse`, over a byte buffer; it never reads past the end.
///
/// Containers are read with a stack of its own rather than by recursion, so any nesting that
/// fits in a payload parses (JSON allows it, and an unknown key may hold anything). Values
/// nested deeper than `JSONValue.maximumDepth` are checked in full, repeated keys included, but
/// not kept: they read as `.skipped`, which keeps every tree the parser returns shallow (a deep
/// tree would also be released by recursion). A level beyond that depth costs a flag on a stack
/// of its own (and an object's keys): 64 KiB of `[` is read in about the time of any 64 KiB.
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

    /// Reads one value, with everything nested in it; `open` holds the containers not closed yet
    /// that are kept, `skipped` those beyond them.
    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        var open: [OpenContainer] = []
        var skipped = SkippedContainers()
        while true {
            // A value starts here.
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            var value: JSONValue
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[index] == UInt8(ascii: "{")
                let kept = open.count < JSONValue.maximumDepth
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == OpenContainer.closer(isObject) {
                    index += 1
                    value = !kept ? .skipped : isObject ? .object([:]) : .array([])
                } else if kept {
                    var container = OpenContainer(isObject: isObject)
                    if isObject { container.begin(try readKey { _ in true }) }
                    open.append(container)
                    continue
                } else {
                    skipped.open(isObject: isObject)
                    if isObject { try readKey { skipped.isNewKey($0) } }
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
                let isObject: Bool
                if let innermost = skipped.innermostIsObject {
                    isObject = innermost
                } else if let container = open.last {
                    isObject = container.isObject
                } else {
                    return value
                }
                if skipped.isEmpty { open[open.count - 1].add(value) }
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    if isObject {
                        if skipped.isEmpty {
                            let key = try readKey { open[open.count - 1].members[$0] == nil }
                            open[open.count - 1].begin(key)
                        } else {
                            try readKey { skipped.isNewKey($0) }
                        }
                    }
                    break
                }
                guard bytes[index] == OpenContainer.closer(isObject) else {
                    throw failure(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                }
                index += 1
                if skipped.isEmpty {
                    value = open.removeLast().value
                } else {
                    skipped.close()
                    value = .skipped
                }
            }
        }
    }

    /// Reads `"key":` of the next member of an object; a key the object has already (`isNew`
    /// false) is an error there.
    @discardableResult
    private mutating func readKey(isNew: (String) -> Bool) throws(JSONSyntaxError) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a string key") }
        let keyStart = index
        let key = try parseString()
        guard isNew(key) else {
            throw JSONSyntaxError(offset: keyStart, problem: "duplicate key \"\(key.count > 64 ? key.prefix(64) + "…" : key)\"")
        }
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
        index += 1
        return key
    }
}

/// A kept array or object being read: what it holds so far and, for an object, the key of the
/// member being read.
private struct OpenContainer {
    let isObject: Bool
    private var elements: [JSONValue] = []
    private(set) var members: [String: JSONValue] = [:]
    private var key = ""

    init(isObject: Bool) {
        self.isObject = isObject
    }

    /// `}` or `]`.
    static func closer(_ isObject: Bool) -> UInt8 { isObject ? UInt8(ascii: "}") : UInt8(ascii: "]") }

    /// Starts the member `key` (new to the object: `readKey` checked).
    mutating func begin(_ key: String) { self.key = key }

    /// Adds the value just read: the next element, or the value of the member begun.
    mutating func add(_ value: JSONValue) {
        if isObject { members[key] = value } else { elements.append(value) }
    }

    /// The container as a value.
    var value: JSONValue { isObject ? .object(members) : .array(elements) }
}

/// The containers open beyond `JSONValue.maximumDepth`, innermost last: only whether each is
/// an object and, for each object, the keys it has, to find a repeated one.
private struct SkippedContainers {
    private var isObject: [Bool] = []
    /// One entry per object in `isObject`, in the same order.
    private var keys: [Keys] = []

    /// An object's keys: the first inline, so that nesting one-key objects allocates nothing
    /// per level; a set from the second on.
    private struct Keys {
        var first: String?
        var others: Set<String> = []
    }

    var isEmpty: Bool { isObject.isEmpty }
    var innermostIsObject: Bool? { isObject.last }

    mutating func open(isObject object: Bool) {
        isObject.append(object)
        if object { keys.append(Keys()) }
    }

    /// Records a key of the innermost object; false when it has it already.
    mutating func isNewKey(_ key: String) -> Bool {
        let innermost = keys.count - 1
        guard let first = keys[innermost].first else {
            keys[innermost].first = key
            return true
        }
        return key != first && keys[innermost].others.insert(key).inserted
    }

    mutating func close() {
        if isObject.removeLast() { keys.removeLast() }
    }
}

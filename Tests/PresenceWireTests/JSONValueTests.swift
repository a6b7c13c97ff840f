import Testing
@testable import PresenceWire

@Suite("JSON parsing of inputs")
struct JSONValueTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test("objects, arrays, strings, numbers, booleans and null parse")
    func parsesEveryKind() throws {
        let value = try parse(#" {"a": [1, -2.5e1, true, false, null], "b": "x\"y\u00e9\ud83d\ude00"} "#)
        #expect(value == .object([
            "a": .array([.number(1), .number(-25), .bool(true), .bool(false), .null]),
            "b": .string("x\"yé😀"),
        ]))
    }

    @Test("malformed documents are rejected with the byte where parsing stopped",
          arguments: ["", "{", "{\"a\":}", "[1,]", "{\"a\":1}x", "\"unterminated", "tru", "01", "1.", "{'a':1}",
                      "\"\\ud800\"", "\"a\u{01}\"", "[" + String(repeating: "[", count: 40)])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test("a key repeated in any object is an error at that key")
    func rejectsRepeatedKeys() throws {
        #expect(throws: JSONSyntaxError(offset: 8, problem: #"duplicate key "a""#)) { try parse(#"{"a":1, "a":2}"#) }
        #expect(throws: JSONSyntaxError(offset: 17, problem: #"duplicate key "b""#)) { try parse(#"[{"b":{}},{"b":1,"b":2}]"#) }
        #expect(try parse(#"{"a":{"a":1}}"#) == .object(["a": .object(["a": .number(1)])]), "the same key at two levels is no repeat")
    }

    @Test("any nesting parses; what lies deeper than 16 levels is checked and not kept")
    func deepNesting() throws {
        func nested(_ depth: Int, _ inner: String = "1") -> String {
            String(repeating: "[", count: depth) + inner + String(repeating: "]", count: depth)
        }
        var expected = JSONValue.skipped
        for _ in 0..<16 { expected = .array([expected]) }
        #expect(try parse(nested(17)) == expected)
        #expect(try parse(nested(16)) != expected, "16 levels are kept whole")
        #expect(try parse(nested(30_000)) == expected)
        #expect(try parse(nested(40, #"{"a":{},"b":[]}"#)) == expected)
        #expect(throws: JSONSyntaxError.self) { try parse(nested(40, "1,")) }
        #expect(throws: JSONSyntaxError.self) { try parse(nested(40, "tru")) }
        #expect(throws: JSONSyntaxError(offset: 47, problem: #"duplicate key "k""#)) { try parse(nested(40, #"{"k":1,"k":2}"#)) }
        #expect(throws: JSONSyntaxError(offset: 53, problem: #"duplicate key "a""#)) { try parse(nested(40, #"{"a":1,"b":2,"a":3}"#)) }
        #expect(throws: JSONSyntaxError(offset: 53, problem: #"duplicate key "b""#)) { try parse(nested(40, #"{"a":1,"b":2,"b":3}"#)) }
        // Objects beyond the depth too: one key per level, the same key at every level.
        var objects = JSONValue.skipped
        for _ in 0..<16 { objects = .object(["k": objects]) }
        #expect(try parse(String(repeating: #"{"k":"#, count: 5_000) + "1" + String(repeating: "}", count: 5_000)) == objects)
        #expect(try parse(nested(40, #"{"a":[],"b":{},"c":{"a":1}}"#)) == expected, "empty and nested containers beyond the depth")
        #expect(throws: JSONSyntaxError.self) { try parse(nested(40, #"{"a":1]"#)) }
        #expect(throws: JSONSyntaxError.self) { try parse(nested(40, #"{"a"}"#)) }
        #expect(throws: JSONSyntaxError.self) { try parse(String(repeating: "[", count: 30_000)) }
    }

    @Test("numbers beyond a Double's range are infinities, not errors")
    func hugeNumbers() throws {
        #expect(try parse("1e400") == .number(.infinity))
        #expect(try parse("-1e400") == .number(-.infinity))
        #expect(try parse("1e-400") == .number(0))
    }

    @Test("null reads as an absent field")
    func nullField() throws {
        guard case .object(let members) = try parse(#"{"a":null,"b":false}"#) else { Issue.record("not an object"); return }
        #expect(members.field("a") == nil)
        #expect(members.field("b") == .bool(false))
        #expect(members.field("c") == nil)
    }

    @Test("invalid UTF-8 inside a string is rejected")
    func rejectsInvalidUTF8() {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("the writer escapes what JSON requires and nothing else")
    func writerEscapes() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("k", "a\"b\\c\nd\u{01}é")
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"k":"a\"b\\c\nd\u0001é"}"#)
        #expect(try JSONValue.parse(writer.bytes) == .object(["k": .string("a\"b\\c\nd\u{01}é")]))
    }
}

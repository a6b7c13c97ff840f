import Foundation
import Logging
import Synchronization
import Testing
@testable import BridgeOperations

/// Each log format on a line whose message and metadata hold everything that breaks naive
/// formatters, parsed back by a parser of that format: the values come back exactly.
@Suite("Log formats")
struct LogFormatTests {
    static let hostile = "say \"hi\" \\ a=b\nnext line\r\ttab \u{1b}[31m é 日本 \u{7f} \u{2028}end"

    /// Logs one record with hostile values through a `LineLogHandler` and returns the lines.
    private func lines(_ format: LogFormat, secrets: [String] = [], metadata: Logger.Metadata) -> [String] {
        let collected = Mutex<[String]>([])
        let handler = LineLogHandler(label: "presence bridge", format: format, level: .info, secrets: secrets,
                                     output: LogLineOutput { line in collected.withLock { $0.append(line) } })
        let logger = Logger(label: "presence bridge") { _ in handler }
        logger.warning("\(Self.hostile)", metadata: metadata)
        return collected.withLock { $0 }
    }

    private var metadata: Logger.Metadata {
        ["topic": "\(Self.hostile)", "msg": "not the message", "empty": "", "plain": "value",
         "nested": ["inner key": "x y", "list": ["a", "b c"]]]
    }

    @Test("json: one line, a valid JSON object, every value back exactly")
    func json() throws {
        let output = lines(.json, metadata: metadata)
        try #require(output.count == 1)
        #expect(!output[0].contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output[0].utf8)) as? [String: Any])
        #expect(object["msg"] as? String == Self.hostile)
        #expect(object["topic"] as? String == Self.hostile)
        #expect(object["_msg"] as? String == "not the message")
        #expect(object["level"] as? String == "warning")
        #expect(object["logger"] as? String == "presence bridge")
        #expect(object["source"] as? String == "BridgeOperationsTests")
        #expect(object["empty"] as? String == "")
        let nested = try #require(object["nested"] as? [String: Any])
        #expect(nested["inner key"] as? String == "x y")
        #expect(nested["list"] as? [String] == ["a", "b c"])
        #expect((object["ts"] as? String).flatMap(parseTime) != nil)
    }

    @Test("logfmt: one line, parsed back by a logfmt parser, every value back exactly")
    func logfmt() throws {
        let output = lines(.logfmt, metadata: metadata)
        try #require(output.count == 1)
        let fields = try LogfmtParser.parse(output[0])
        #expect(fields.map(\.key).prefix(5) == ["ts", "level", "logger", "source", "msg"])
        let values = Dictionary(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(fields.count == values.count, "no key twice")
        #expect(values["msg"] == Self.hostile)
        #expect(values["topic"] == Self.hostile)
        #expect(values["_msg"] == "not the message")
        #expect(values["empty"] == "")
        #expect(values["plain"] == "value")
        #expect(values["nested.inner_key"] == "x y")
        #expect(values["nested.list"] == "[a, b c]")
        #expect(values["level"] == "warning")
        #expect(values["ts"].flatMap(parseTime) != nil)
        #expect(output[0].contains("plain=value"), "plain values are bare")
    }

    @Test("text: one line; the message up to the first tab, then the metadata in logfmt")
    func text() throws {
        let output = lines(.text, metadata: metadata)
        try #require(output.count == 1)
        let line = output[0]
        #expect(!line.contains("\n") && !line.contains("\r"))
        let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
        try #require(parts.count == 2)
        let head = parts[0]
        let time = try #require(head.split(separator: " ").first.map(String.init))
        #expect(parseTime(time) != nil)
        let prefix = "\(time) warning presence bridge: [BridgeOperationsTests] "
        #expect(head.hasPrefix(prefix), "\(head)")
        let message = String(head.dropFirst(prefix.count))
        #expect(try LogfmtParser.unescape(message) == Self.hostile)
        let values = Dictionary(try LogfmtParser.parse(parts[1]).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(values["topic"] == Self.hostile)
        #expect(values["msg"] == "not the message")
    }

    @Test("a short password is redacted only where it is a whole value: other words stay as they are")
    func shortPasswordLeavesWordsAlone() throws {
        let redaction = Redaction(secrets: ["y"])
        #expect(redaction.apply("not ready: resynchronising") == "not ready: resynchronising")
        #expect(redaction.apply("y") == "<redacted>")
        #expect(redaction.apply(Logger.MetadataValue.array(["y", "yes"])).description == Logger.MetadataValue.array(["<redacted>", "yes"]).description)
        #expect(Redaction(secrets: ["hunter2"]).apply("login hunter2 failed") == "login <redacted> failed")
    }

    @Test("the password never appears, in any format, in the message or the metadata")
    func passwordRedacted() throws {
        let password = "s3cr\"et pw\n"
        for format in LogFormat.allCases {
            let collected = Mutex<[String]>([])
            let handler = LineLogHandler(label: "bridge", format: format, level: .trace, secrets: [password],
                                         output: LogLineOutput { line in collected.withLock { $0.append(line) } })
            let logger = Logger(label: "bridge") { _ in handler }
            logger.error("login with \(password) failed", metadata: ["password": "\(password)", "list": ["x\(password)y"]])
            let text = collected.withLock { $0.joined(separator: "\n") }
            for form in [password, "s3cr", "et pw", LogfmtValue.escaped(password)] {
                #expect(!text.contains(form), "\(format): \(text)")
            }
            #expect(text.contains("<redacted>"))
        }
    }

    private func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// A small logfmt reader written from the format's description (key=value pairs separated by
/// spaces; a value bare or double-quoted with backslash escapes), to read the lines back.
enum LogfmtParser {
    struct Malformed: Error, CustomStringConvertible { var description: String }

    static func parse(_ line: String) throws -> [(key: String, value: String)] {
        var fields: [(key: String, value: String)] = []
        var rest = Substring(line)
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { throw Malformed(description: "no = in \(rest)") }
            let key = String(rest[..<equals])
            guard !key.isEmpty, !key.contains(" "), !key.contains("\"") else { throw Malformed(description: "bad key \(key)") }
            rest = rest[rest.index(after: equals)...]
            if rest.first == "\"" {
                var index = rest.index(after: rest.startIndex)
                var raw = ""
                while true {
                    guard index < rest.endIndex else { throw Malformed(description: "unterminated quote") }
                    let character = rest[index]
                    if character == "\"" { break }
                    if character == "\\" {
                        raw.append(character)
                        index = rest.index(after: index)
                        guard index < rest.endIndex else { throw Malformed(description: "dangling backslash") }
                    }
                    raw.append(rest[index])
                    index = rest.index(after: index)
                }
                fields.append((key, try unescape(raw)))
                rest = rest[rest.index(after: index)...]
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                let value = String(rest[..<end])
                guard !value.contains("\""), !value.contains("\\") else { throw Malformed(description: "bad bare value \(value)") }
                fields.append((key, value))
                rest = rest[end...]
            }
            guard rest.isEmpty || rest.first == " " else { throw Malformed(description: "no space after a value: \(rest)") }
            rest = rest.drop(while: { $0 == " " })
        }
        return fields
    }

    /// Undoes `\"`, `\\`, `\n`, `\r`, `\t` and `\uXXXX`; a raw control character is an error.
    static func unescape(_ text: String) throws -> String {
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            if scalar.value < 0x20 || scalar.value == 0x7f { throw Malformed(description: "raw control character \(scalar.value)") }
            guard scalar == "\\" else { out.append(scalar); continue }
            switch scalars.next() {
            case "\"": out.append("\"")
            case "\\": out.append("\\")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "u":
                var hex = ""
                for _ in 0..<4 { if let digit = scalars.next() { hex.unicodeScalars.append(digit) } }
                guard let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) else {
                    throw Malformed(description: "bad \\u\(hex)")
                }
                out.append(decoded)
            default: throw Malformed(description: "unknown escape")
            }
        }
        return String(out)
    }
}

import Logging
import PresenceCore
import PresenceWire

/// How a log record is written as one line on stderr (`--log-format`, `PRESENCE_LOG_FORMAT`).
///
/// Whatever the message and the metadata hold (quotes, spaces, `=`, newlines, control
/// characters, non-ASCII), every record is exactly one line, valid in its format:
///
/// - `text`: for people. `TIME LEVEL LABEL: [SOURCE] MESSAGE` (the source module, as in
///   swift-log's own format), then a tab and the metadata in logfmt
///   (`key=value key="two words"`) when there is any. Control characters in the message are
///   escaped as in logfmt (`\n`, `\t`, `\u001b`), so the first tab always ends the message.
/// - `logfmt`: `ts=… level=… logger=… source=… msg=… key=value…`, values quoted and escaped where needed
///   (`LogfmtValue`).
/// - `json`: one JSON object per line, `{"ts":…,"level":…,"logger":…,"source":…,"msg":…,"key":…}`, escaped
///   by the wire's own `JSONWriter`; nested metadata stays nested.
///
/// Metadata keys are written in sorted order; a key that is one of the record's own names
/// (`ts`, `level`, `logger`, `source`, `msg`) gets a leading `_` instead of replacing it.
public enum LogFormat: String, CaseIterable, Sendable {
    case text
    case logfmt
    case json

    /// The record's own names, which metadata keys never replace.
    static let reservedKeys: Set<String> = ["ts", "level", "logger", "source", "msg"]

    /// The record as one line, without its newline.
    func line(_ record: LogRecord) -> String {
        switch self {
        case .text: textLine(record)
        case .logfmt: logfmtLine(record)
        case .json: jsonLine(record)
        }
    }

    private func textLine(_ record: LogRecord) -> String {
        var line = "\(record.time.iso8601) \(record.level.rawValue) \(record.label): [\(LogfmtValue.escaped(record.source))] "
            + LogfmtValue.escaped(record.message)
        let metadata = Self.flattened(record.metadata)
        if !metadata.isEmpty {
            line += "\t" + metadata.map { "\(LogfmtValue.key($0.key))=\(LogfmtValue.quoted($0.value))" }.joined(separator: " ")
        }
        return line
    }

    private func logfmtLine(_ record: LogRecord) -> String {
        var fields = [("ts", record.time.iso8601), ("level", record.level.rawValue), ("logger", record.label),
                      ("source", record.source), ("msg", record.message)]
        fields += Self.flattened(record.metadata).map { (Self.unreserved(LogfmtValue.key($0.key)), $0.value) }
        return fields.map { "\($0.0)=\(LogfmtValue.quoted($0.1))" }.joined(separator: " ")
    }

    private func jsonLine(_ record: LogRecord) -> String {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.member("ts", record.time.iso8601)
        json.member("level", record.level.rawValue)
        json.member("logger", record.label)
        json.member("source", record.source)
        json.member("msg", record.message)
        for (key, value) in record.metadata.sorted(by: { $0.key < $1.key }) {
            json.key(Self.unreserved(key))
            Self.write(value, to: &json)
        }
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    private static func write(_ value: Logger.MetadataValue, to json: inout JSONWriter) {
        switch value {
        case .string(let text): json.string(text)
        case .stringConvertible(let convertible): json.string(convertible.description)
        case .array(let values):
            json.beginArray()
            for value in values { write(value, to: &json) }
            json.endArray()
        case .dictionary(let members):
            json.beginObject()
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                json.key(key)
                write(value, to: &json)
            }
            json.endObject()
        }
    }

    private static func unreserved(_ key: String) -> String {
        reservedKeys.contains(key) ? "_" + key : key
    }

    /// Metadata as sorted `key=text` pairs: a dictionary's members become `key.member`, an
    /// array its elements' texts in brackets.
    static func flattened(_ metadata: Logger.Metadata) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        func add(_ key: String, _ value: Logger.MetadataValue) {
            switch value {
            case .dictionary(let members):
                for (member, value) in members.sorted(by: { $0.key < $1.key }) { add(key + "." + member, value) }
            default:
                pairs.append((key, text(value)))
            }
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { add(key, value) }
        return pairs
    }

    private static func text(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(text).joined(separator: ", ") + "]"
        case .dictionary(let members):
            "[" + members.sorted(by: { $0.key < $1.key }).map { "\($0.key): \(text($0.value))" }.joined(separator: ", ") + "]"
        }
    }
}

/// One log record, as the handler hands it to a `LogFormat`.
struct LogRecord {
    var time: Timestamp
    var level: Logger.Level
    var label: String
    /// The module that logged it (swift-log's `source`).
    var source: String
    var message: String
    var metadata: Logger.Metadata
}

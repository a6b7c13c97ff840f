import Logging
import PresenceBridge
import PresenceCore

/// A swift-log handler that writes each record as one line in a `LogFormat`, with every secret
/// it was given (the broker password) replaced by `<redacted>` in the message and the metadata
/// before the line is formatted: the bridge never logs the password, and this makes sure of it.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogFormat
    private let redaction: Redaction
    private let output: LogLineOutput

    /// A handler for `label` writing to `output` (stderr unless told otherwise).
    public init(label: String, format: LogFormat, level: Logger.Level, secrets: [String] = [],
                output: LogLineOutput = .standardError) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.redaction = Redaction(secrets: secrets)
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let record = LogRecord(time: .now(), level: event.level, label: label, source: event.source,
                               message: redaction.apply(event.message.description), metadata: redaction.apply(merged))
        output.write(line: format.line(record))
    }
}

/// Replaces secrets in text that is about to be logged.
///
/// A secret of `minimumSubstringLength` characters or more is replaced wherever it occurs; a
/// shorter one only where it is the whole text (a message or a metadata value): replacing a
/// one-letter password inside every word would garble each line and, worse, show which letters
/// the password is made of.
struct Redaction: Sendable {
    static let minimumSubstringLength = 6
    let secrets: [String]

    init(secrets: [String]) {
        // Longest first, so that a secret containing another is replaced whole.
        self.secrets = secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    func apply(_ text: String) -> String {
        var text = text
        for secret in secrets {
            if text == secret { return "<redacted>" }
            if secret.count >= Self.minimumSubstringLength, text.contains(secret) { text = text.replacing(secret, with: "<redacted>") }
        }
        return text
    }

    func apply(_ metadata: Logger.Metadata) -> Logger.Metadata {
        guard !secrets.isEmpty else { return metadata }
        return metadata.mapValues(apply)
    }

    func apply(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(apply(text))
        case .stringConvertible(let convertible): .string(apply(convertible.description))
        case .array(let values): .array(values.map(apply))
        case .dictionary(let members): .dictionary(members.mapValues(apply))
        }
    }
}

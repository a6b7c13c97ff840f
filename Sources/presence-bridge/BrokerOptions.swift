import ArgumentParser
import BridgeOperations
import Foundation
import Logging

/// The options every command that talks to the broker takes (`run`, `client`, `watch`); each
/// also reads its environment variable, and the password is never printed.
struct BrokerOptions: ParsableArguments {
    @Option(help: "Broker URL, mqtt://host:port or mqtts://host:port (PRESENCE_BROKER; mqtt://127.0.0.1:1883).")
    var broker: String?
    @Option(help: "File holding the broker password (PRESENCE_PASSWORD_FILE; or the password in PRESENCE_PASSWORD; under systemd the credential 'password').")
    var passwordFile: String?
    @Option(help: "CA file for mqtts:// (PRESENCE_CAFILE).")
    var cafile: String?
    @Option(help: "Topic prefix (PRESENCE_PREFIX; presence/v1).")
    var prefix: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical, to stderr (PRESENCE_LOG_LEVEL; info for run, warning otherwise).")
    var logLevel: String?
    @Option(help: "Log line format on stderr: text, logfmt or json (PRESENCE_LOG_FORMAT; text).")
    var logFormat: String?

    var brokerURL: String { get throws { try setting(broker, "PRESENCE_BROKER", default: "mqtt://127.0.0.1:1883") } }
    /// The broker URL only when given (`--broker` or `PRESENCE_BROKER`).
    var explicitBrokerURL: String? { setting(broker, "PRESENCE_BROKER") }
    var topicPrefix: String { get throws { try setting(prefix, "PRESENCE_PREFIX", default: "presence/v1") } }
    var caFile: String? { setting(cafile, "PRESENCE_CAFILE") }

    /// The password from `--password-file`, `PRESENCE_PASSWORD_FILE` or `PRESENCE_PASSWORD`,
    /// else systemd's credential `password` (`LoadCredential=password:…`), in that order.
    func password() throws -> String? {
        if let path = setting(passwordFile, "PRESENCE_PASSWORD_FILE") {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read the password file \(path)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let password = setting(nil, "PRESENCE_PASSWORD") { return password }
        do {
            return try SystemdCredential.read("password")
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Sends swift-log to stderr at the chosen level, one line per record in the chosen format,
    /// with the broker password redacted should it ever reach a log line; returns a logger
    /// labelled `label`.
    func bootstrapLogging(label: String, defaultLevel: Logger.Level) throws -> Logger {
        let text = try setting(logLevel, "PRESENCE_LOG_LEVEL", default: defaultLevel.rawValue)
        guard let level = Logger.Level(rawValue: text) else { throw ValidationError("unknown log level '\(text)'") }
        let formatName = try setting(logFormat, "PRESENCE_LOG_FORMAT", default: LogFormat.text.rawValue)
        guard let format = LogFormat(rawValue: formatName) else {
            throw ValidationError("unknown log format '\(formatName)' (text, logfmt or json)")
        }
        let secrets = (try? password()).flatMap { $0 }.map { [$0] } ?? []
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, format: format, level: level, secrets: secrets)
        }
        return Logger(label: label)
    }
}

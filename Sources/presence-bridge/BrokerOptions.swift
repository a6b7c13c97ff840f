import ArgumentParser
import Foundation
import Logging

/// The options every command that talks to the broker takes (`run`, `client`, `watch`); each
/// also reads its environment variable, and the password is never printed.
struct BrokerOptions: ParsableArguments {
    @Option(help: "Broker URL, mqtt://host:port or mqtts://host:port (PRESENCE_BROKER; mqtt://127.0.0.1:1883).")
    var broker: String?
    @Option(help: "File holding the broker password (PRESENCE_PASSWORD_FILE; or the password in PRESENCE_PASSWORD).")
    var passwordFile: String?
    @Option(help: "CA file for mqtts:// (PRESENCE_CAFILE).")
    var cafile: String?
    @Option(help: "Topic prefix (PRESENCE_PREFIX; presence/v1).")
    var prefix: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical, to stderr (PRESENCE_LOG_LEVEL; info for run, warning otherwise).")
    var logLevel: String?

    var brokerURL: String { get throws { try setting(broker, "PRESENCE_BROKER", default: "mqtt://127.0.0.1:1883") } }
    var topicPrefix: String { get throws { try setting(prefix, "PRESENCE_PREFIX", default: "presence/v1") } }
    var caFile: String? { setting(cafile, "PRESENCE_CAFILE") }

    /// The password from `--password-file`, `PRESENCE_PASSWORD_FILE` or `PRESENCE_PASSWORD`.
    func password() throws -> String? {
        if let path = setting(passwordFile, "PRESENCE_PASSWORD_FILE") {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read the password file \(path)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return setting(nil, "PRESENCE_PASSWORD")
    }

    /// Sends swift-log to stderr at the chosen level; returns a logger labelled `label`.
    func bootstrapLogging(label: String, defaultLevel: Logger.Level) throws -> Logger {
        let text = try setting(logLevel, "PRESENCE_LOG_LEVEL", default: defaultLevel.rawValue)
        guard let level = Logger.Level(rawValue: text) else { throw ValidationError("unknown log level '\(text)'") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

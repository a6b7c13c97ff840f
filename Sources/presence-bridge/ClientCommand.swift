import ArgumentParser
import Foundation
import Logging
import PresenceClient
import PresenceCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `presence-bridge client`: holds one device's presence (its will set) and takes commands
/// from stdin, one per line, answering each with one line on stdout.
///
/// Output lines (stable, for scripts): `ok <what was done>` per command (with ` (deferred)`
/// when not connected: it is sent on reconnection), `error: <text>` for a bad command or an
/// input the bridge rejected (from `err/{user}`), `status <connection status>` when the
/// connection changes, `bye` at the end. `quit`, end of input, SIGINT and SIGTERM go offline
/// gracefully; a killed process lets the broker publish the will.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Be present as one device, driven by commands on stdin.",
        discussion: "Commands, one per line: online | away | invisible | offline | typing [CONVERSATION] [to USER,USER] | "
            + "viewing PAGE | busy [REASON] | idle | settings [status=A] [lastSeen=A] [activity=A] (A: everyone, contacts, "
            + "nobody; the keys showOnlineStatus=, showLastSeen=, showActivity= work too) | contacts U,V | blocked U,V | "
            + "block U | unblock U | watch U,V | help | quit. A list command without ids clears the list. "
            + "The password comes from --password-file, PRESENCE_PASSWORD_FILE or PRESENCE_PASSWORD."
    )

    @OptionGroup var connection: BrokerOptions
    @Option(help: "The user to be present as (also the MQTT user name).") var user: String
    @Option(help: "The device id (client id {user}-{device}).") var device: String
    @Option(help: "Platform: web, mobile, desktop, iot, ... (at most 32 characters).") var platform: String?
    @Option(help: "Seconds between heartbeats (PRESENCE_HEARTBEAT_INTERVAL; 30).") var heartbeatInterval: Double?

    func run() async throws {
        let logger = try connection.bootstrapLogging(label: "presence-client", defaultLevel: .warning)
        guard let userID = UserID(user) else { throw ValidationError("invalid user id '\(user)'") }
        guard let deviceID = DeviceID(device) else { throw ValidationError("invalid device id '\(device)'") }
        let interval = try setting(heartbeatInterval, "PRESENCE_HEARTBEAT_INTERVAL", default: 30.0)
        guard interval > 0, interval.isFinite else { throw ValidationError("--heartbeat-interval must be positive") }
        var configuration = try connection.presenceConfiguration(user: userID)
        configuration.subscribesToViews = false
        let presence = PresenceDevice(configuration: configuration, device: deviceID, platform: platform,
                                      heartbeatInterval: .milliseconds(Int64(interval * 1000)), logger: logger)
        let events = commandLineEvents(readingStandardInput: true)
        do {
            try await presence.start()
        } catch {
            emitLine("error: \(error)")
            throw ExitCode(1)
        }
        emitLine("ok \(presence.connectionStatus)")
        let reporters = [
            Task {
                for await report in presence.errorReports { emitLine("error: \(report)") }
            },
            Task {
                var first = true
                for await status in presence.connectionStatusUpdates {
                    if first { first = false; continue }
                    if status != .stopped { emitLine("status \(status)") }
                }
            },
        ]
        var session = ClientSession(device: presence)
        loop: for await event in events {
            switch event {
            case .line(let line):
                if await session.perform(line) == .quit { break loop }
            case .endOfInput, .signal:
                break loop
            case .tick:
                continue
            }
        }
        await presence.stop()
        for task in reporters { task.cancel() }
        emitLine("bye")
    }
}

/// The commands of `presence-bridge client`, parsed and applied to the device.
struct ClientSession {
    enum Outcome { case proceed, quit }

    let device: PresenceDevice
    /// The blocked list as this session last sent it (`block`/`unblock` edit it).
    var blocked: [UserID] = []

    /// Applies one command line; prints one line saying what was done, or why not.
    mutating func perform(_ line: String) async -> Outcome {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return .proceed }
        let word = trimmed.prefix { !$0.isWhitespace }
        let rest = trimmed.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
        do {
            switch word {
            case "quit", "exit":
                return .quit
            case "help":
                emitLine("ok commands: online away invisible offline typing viewing busy idle settings contacts blocked block unblock watch quit")
            case "online", "away", "invisible", "offline":
                guard let status = DeviceStatus(rawValue: String(word)) else { return .proceed }
                report(String(word), try await device.setStatus(status))
            case "typing":
                var parts = rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                var audience: [UserID]?
                if let index = parts.firstIndex(of: "to") {
                    audience = try userList(parts[(index + 1)...].joined(separator: ","))
                    parts.removeSubrange(index...)
                }
                let conversation = parts.first
                let target = audience.map { " to " + $0.map(\.rawValue).joined(separator: ",") } ?? ""
                report("typing" + (conversation.map { " \($0)" } ?? "") + target,
                       try await device.typing(in: conversation, to: audience))
            case "viewing":
                report("viewing \(rest)", try await device.viewing(rest.isEmpty ? nil : rest))
            case "busy":
                report(rest.isEmpty ? "busy" : "busy \(rest)", try await device.busy(rest.isEmpty ? nil : rest))
            case "idle":
                report("idle", try await device.idle())
            case "settings":
                let update = try settingsUpdate(rest)
                report("settings " + describe(update), try await device.updateSettings(update))
            case "contacts":
                let users = try userList(rest)
                report("contacts " + names(users), try await device.setContacts(users))
            case "blocked":
                blocked = try userList(rest)
                report("blocked " + names(blocked), try await device.setBlocked(blocked))
            case "block":
                for user in try userList(rest) where !blocked.contains(user) { blocked.append(user) }
                report("blocked " + names(blocked), try await device.setBlocked(blocked))
            case "unblock":
                let removed = Set(try userList(rest))
                blocked.removeAll { removed.contains($0) }
                report("blocked " + names(blocked), try await device.setBlocked(blocked))
            case "watch":
                let users = try userList(rest)
                report("watch " + names(users), try await device.setWatchList(users))
            default:
                emitLine("error: unknown command '\(word)' (try help)")
            }
        } catch {
            emitLine("error: \(error)")
        }
        return .proceed
    }

    private func report(_ what: String, _ delivery: Delivery) {
        emitLine("ok \(what)" + (delivery == .deferred ? " (deferred)" : ""))
    }

    private func names(_ users: [UserID]) -> String {
        users.isEmpty ? "(none)" : users.map(\.rawValue).joined(separator: ",")
    }

    private func userList(_ text: String) throws(PresenceClientError) -> [UserID] {
        var users: [UserID] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
            guard let user = UserID(part) else { throw .invalidArgument("invalid user id '\(part)'") }
            users.append(user)
        }
        return users
    }

    private func settingsUpdate(_ text: String) throws(PresenceClientError) -> PrivacySettingsUpdate {
        var update = PrivacySettingsUpdate()
        let pairs = text.split(separator: " ", omittingEmptySubsequences: true)
        guard !pairs.isEmpty else { throw .invalidArgument("settings needs key=value pairs, e.g. lastSeen=nobody") }
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let audience = Audience(rawValue: parts[1]) else {
                throw .invalidArgument("'\(pair)': expected key=everyone|contacts|nobody")
            }
            switch parts[0] {
            case "status", "onlineStatus", "showOnlineStatus": update.showOnlineStatus = audience
            case "lastSeen", "showLastSeen": update.showLastSeen = audience
            case "activity", "showActivity": update.showActivity = audience
            default: throw .invalidArgument("unknown setting '\(parts[0])' (status, lastSeen, activity)")
            }
        }
        return update
    }

    private func describe(_ update: PrivacySettingsUpdate) -> String {
        var parts: [String] = []
        if let value = update.showOnlineStatus { parts.append("showOnlineStatus=\(value.rawValue)") }
        if let value = update.showLastSeen { parts.append("showLastSeen=\(value.rawValue)") }
        if let value = update.showActivity { parts.append("showActivity=\(value.rawValue)") }
        return parts.joined(separator: " ")
    }
}

// MARK: - Shared by `client` and `watch`

/// What the command-line loops react to.
enum CommandLineEvent: Sendable {
    case line(String)
    case endOfInput
    case signal(Int32)
    case tick
}

/// Lines of stdin (when asked), SIGINT/SIGTERM and, when `tick` is given, a periodic tick,
/// merged into one sequence. The signals are taken over from their default action (exit).
func commandLineEvents(readingStandardInput: Bool, tick: Duration? = nil) -> AsyncStream<CommandLineEvent> {
    let (stream, continuation) = AsyncStream<CommandLineEvent>.makeStream(bufferingPolicy: .unbounded)
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { continuation.yield(.signal(number)) }
        source.resume()
        sources.append(source)
    }
    let keptSources = SignalSources(sources)
    if readingStandardInput {
        let reader = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(.line(line)) }
            continuation.yield(.endOfInput)
        }
        reader.start()
    }
    var ticker: Task<Void, Never>?
    if let tick {
        ticker = Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: tick) } catch { return }
                continuation.yield(.tick)
            }
        }
    }
    continuation.onTermination = { [ticker] _ in
        ticker?.cancel()
        keptSources.cancel()
    }
    return stream
}

/// Keeps the signal sources alive as long as the event stream; the mutex makes it Sendable.
private final class SignalSources: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>
    init(_ sources: sending [any DispatchSourceSignal]) { self.sources = Mutex(sources) }
    func cancel() { sources.withLock { for source in $0 { source.cancel() }; $0.removeAll() } }
}

/// Writes one line to stdout at once, with write(2) (stdout may be a pipe read by a script).
///
/// Not `print` + `fflush`: stdio's buffer would need a flush, and glibc's `fflush(NULL)` locks
/// every stream, stdin included, which the reader thread holds while it waits for a line.
/// One `write` per line keeps lines whole between tasks (pipes: up to PIPE_BUF bytes).
func emitLine(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { buffer in
            write(STDOUT_FILENO, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
        }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
}

extension BrokerOptions {
    /// The SDK's connection settings for `user`, from these options and the environment.
    func presenceConfiguration(user: UserID) throws -> PresenceConfiguration {
        var configuration = PresenceConfiguration(brokerURL: try brokerURL, user: user, password: try password())
        configuration.prefix = try topicPrefix
        configuration.caFile = caFile
        return configuration
    }
}

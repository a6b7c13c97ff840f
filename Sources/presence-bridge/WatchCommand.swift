import ArgumentParser
import Foundation
import PresenceBridge
import PresenceClient
import PresenceCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `presence-bridge watch`: a live list of the views one user holds (`out/{user}/+`).
///
/// On a terminal: a table redrawn on every change and every second, so "last seen 5m ago"
/// keeps up with time. Otherwise (a pipe, a file, or `--plain`): one line per change, flushed
/// at once, in a stable format for scripts:
///
///     alice online devices=phone activity=typing:c1
///     alice away devices=phone:away,web:away last-seen=2026-11-28T23:40:00.120Z (5m ago)
///     alice offline last-seen=2026-11-28T23:40:00.120Z (Just now)
///     alice hidden
///     alice removed
///
/// Fields in this order, each only when the view has it: the user; the status (`online`,
/// `away`, `offline`, `invisible` in the self view, `hidden` when not shown); `devices=` the
/// devices' ids, `id:status` when not online; `activity=kind[:detail]` (the detail as sent);
/// `last-seen=ISO-8601 (relative text at the time of printing)`. `removed` when the view was deleted.
/// The first lines are the views held when it starts; a view identical to the previous one is
/// not repeated. SIGINT/SIGTERM end it.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Show a user's live list of presence views.",
        discussion: "The password comes from --password-file, PRESENCE_PASSWORD_FILE or PRESENCE_PASSWORD."
    )

    @OptionGroup var connection: BrokerOptions
    @Option(help: "The viewing user (also the MQTT user name).") var user: String
    @Flag(help: "One line per change even on a terminal.") var plain = false

    func run() async throws {
        let logger = try connection.bootstrapLogging(label: "presence-client", defaultLevel: .warning)
        guard let userID = UserID(user) else { throw ValidationError("invalid user id '\(user)'") }
        let configuration = try connection.presenceConfiguration(user: userID)
        let viewer = PresenceViewer(configuration: configuration, logger: logger)
        let terminal = !plain && isatty(STDOUT_FILENO) == 1
        let events = commandLineEvents(readingStandardInput: false, tick: terminal ? .seconds(1) : nil)
        do {
            try await viewer.start()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        // View updates and status changes join the signals and ticks in one stream of events.
        let (merged, sink) = AsyncStream<WatchEvent>.makeStream(bufferingPolicy: .unbounded)
        let feeders = [
            Task {
                for await update in viewer.viewUpdates { sink.yield(.update(update)) }
            },
            Task {
                for await status in viewer.connectionStatusUpdates { sink.yield(.status(status)) }
            },
            Task {
                for await event in events { sink.yield(.commandLine(event)) }
                sink.yield(.commandLine(.endOfInput))
            },
        ]
        var screen = WatchScreen(viewer: userID)
        loop: for await event in merged {
            switch event {
            case .update(let update):
                if terminal {
                    screen.redraw(viewer.directory)
                } else {
                    emitLine(Self.line(for: update, now: .now()))
                }
            case .status(let status):
                screen.status = status
                if terminal { screen.redraw(viewer.directory) }
            case .commandLine(.tick):
                screen.redraw(viewer.directory)
            case .commandLine(.signal), .commandLine(.endOfInput):
                break loop
            case .commandLine(.line):
                continue
            }
        }
        for task in feeders { task.cancel() }
        await viewer.stop()
        if terminal { emitLine("") }
    }

    /// The plain line for one update (the format is documented on the type).
    static func line(for update: ViewUpdate, now: Timestamp) -> String {
        guard case .updated(let view) = update else { return "\(update.target.rawValue) removed" }
        var fields = [view.user.rawValue, view.status?.rawValue ?? "hidden"]
        if let devices = view.devices, !devices.isEmpty {
            fields.append("devices=" + devices.map { device in
                device.status == .online ? device.id.rawValue : "\(device.id.rawValue):\(device.status.rawValue)"
            }.joined(separator: ","))
        }
        if let activity = view.activity {
            fields.append("activity=" + activity.kind.rawValue + (activity.detail.map { ":\($0)" } ?? ""))
        }
        if let lastSeen = view.lastSeen {
            fields.append("last-seen=\(lastSeen) (\(LastSeenText.describe(lastSeen, now: now)))")
        }
        return fields.joined(separator: " ")
    }
}

/// What the watch loop reacts to.
private enum WatchEvent: Sendable {
    case update(ViewUpdate)
    case status(ConnectionStatus)
    case commandLine(CommandLineEvent)
}

/// The terminal table of `watch`: cleared and drawn whole each time.
private struct WatchScreen {
    let viewer: UserID
    var status: ConnectionStatus = .connecting

    func redraw(_ directory: PresenceDirectory) {
        let now = Timestamp.now()
        var lines = ["\u{1B}[H\u{1B}[2J" + "Presence seen by \(viewer.rawValue) — \(status)", ""]
        if directory.isEmpty { lines.append("  (nobody yet: add contacts or a watch list)") }
        let width = max(8, directory.targets.map(\.rawValue.count).max() ?? 0)
        for view in directory.sortedViews {
            let name = view.user.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            var columns = ["\(symbol(view.status)) \(name)", (view.status?.rawValue ?? "hidden").padding(toLength: 9, withPad: " ", startingAt: 0)]
            if let devices = view.devices, !devices.isEmpty {
                columns.append(devices.map { device in
                    device.id.rawValue + (device.platform.map { " (\($0))" } ?? "")
                }.joined(separator: ", "))
            }
            if let activity = view.activity { columns.append(activity.displayText) }
            if view.status != .online, let text = view.lastSeenText(now: now) { columns.append("last seen \(text)") }
            lines.append("  " + columns.joined(separator: "  "))
        }
        emitLine(lines.joined(separator: "\n"))
    }

    private func symbol(_ status: DeviceStatus?) -> String {
        switch status {
        case .online: "🟢"
        case .away: "🟡"
        case .offline: "⚫"
        case .invisible: "👻"
        case nil: "❔"
        }
    }
}

import ArgumentParser
import PresenceBridge

/// `presence-bridge`: the bridge service and the tools around it.
@main
struct PresenceBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presence-bridge",
        abstract: "Presence for MQTT: who is online, away or offline, last seen and activity, with privacy.",
        version: BridgeVersion.current,
        subcommands: [RunCommand.self, ClientCommand.self, WatchCommand.self, HomeCommand.self]
    )
}

import ArgumentParser
import PresenceCore
import PresenceWire

/// `presence-bridge home --brokers URL,URL,… USER`: prints the user's home broker URL, where
/// its devices and viewers connect (`HomeBrokers`).
struct HomeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "home",
        abstract: "Print the home broker of each user in a federation of brokers.",
        discussion: "The home is chosen by rendezvous hashing of the user id over the broker list (README, Scaling out); every party must use the same list, byte for byte."
    )

    @Option(help: "The federation's broker URLs, comma-separated, in order (PRESENCE_BROKERS).") var brokers: String?
    @Flag(help: "Print the broker's index in the list instead of its URL.") var index = false
    @Argument(help: "User ids.") var users: [String]

    func run() throws {
        guard let list = setting(brokers, "PRESENCE_BROKERS") else { throw ValidationError("--brokers (or PRESENCE_BROKERS) is required") }
        guard let homes = HomeBrokers(list: list) else { throw ValidationError("--brokers must list distinct broker URLs, comma-separated") }
        for text in users {
            guard let user = UserID(text) else { throw ValidationError("'\(text)' is not a valid user id") }
            let home = homes.home(of: user)
            print(users.count == 1 ? "" : "\(user.rawValue) ", terminator: "")
            print(index ? "\(home)" : homes.urls[home])
        }
    }
}

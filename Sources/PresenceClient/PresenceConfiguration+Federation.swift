import PresenceCore
import PresenceWire

extension PresenceConfiguration {
    /// A configuration for a federation of brokers: the user connects to its home broker
    /// (`HomeBrokers.home(of:)`), where its devices publish and its views arrive.
    public init(brokers: HomeBrokers, user: UserID, password: String? = nil) {
        self.init(brokerURL: brokers.homeURL(of: user), user: user, password: password)
    }
}

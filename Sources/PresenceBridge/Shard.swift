import PresenceCore
import PresenceWire

/// This bridge as shard `index` of a federation of brokers (`presence-bridge run --shard i
/// --brokers URL,…`): it runs beside broker `index`, where the users homed there connect.
///
/// - It owns the targets homed at its broker: it takes their inputs from its broker, and
///   decides every view of them, for every viewer. An input of a user homed elsewhere is
///   refused (`wrong-home`, naming the user's home broker).
/// - It needs every user's contacts and watch lists (who watches whom), whatever their home:
///   those of users homed elsewhere arrive by the federation's links under
///   `bridge/fed/{home}/in/…`, and are taken only from the user's own home broker.
/// - A view of a viewer homed here goes out as `out/{viewer}/{target}`; one of a viewer homed at
///   broker j as `bridge/route/{j}/out/{viewer}/{target}`, which the link to j delivers there as
///   the viewer's `out/{viewer}/{target}`. Both are retained on this broker, so a resync of this
///   shard reconciles every view it decides from its own broker, and never touches a view that
///   another shard decides (a target homed elsewhere).
public struct Shard: Sendable, Equatable {
    /// This shard's broker, in `brokers`.
    public let index: Int
    /// The federation's brokers, in order: the same list, byte for byte, everywhere.
    public let brokers: HomeBrokers

    /// Shard `index` of `brokers`; nil when `index` is not in the list.
    public init?(index: Int, brokers: HomeBrokers) {
        guard brokers.urls.indices.contains(index) else { return nil }
        self.index = index
        self.brokers = brokers
    }

    /// This shard's own broker.
    public var brokerURL: String { brokers.urls[index] }

    /// True when `user` is homed at this shard's broker.
    func owns(_ user: UserID) -> Bool { brokers.home(of: user) == index }

    /// Where the view of `target` for `viewer` is published on this broker.
    func viewTopic(_ topics: TopicLayout, viewer: UserID, target: UserID) -> String {
        let home = brokers.home(of: viewer)
        return home == index ? topics.viewTopic(viewer: viewer, target: target)
            : topics.routedViewTopic(home: home, viewer: viewer, target: target)
    }

    /// The filter of every view of `viewer` this shard holds on its broker.
    func viewFilter(_ topics: TopicLayout, of viewer: UserID) -> String {
        let home = brokers.home(of: viewer)
        return home == index ? topics.viewFilter(of: viewer) : topics.routedViewFilter(home: home, of: viewer)
    }

    /// The (viewer, target) of a retained view on this broker that this shard decided: a local
    /// view of a viewer homed here or a routed copy for a viewer homed at the broker it names,
    /// and in both a target homed here. Any other view (one another shard decided, or names
    /// that are not ids) is not this shard's: nil.
    func ownViewPair(_ topics: TopicLayout, _ topic: String) -> (viewer: UserID, target: UserID)? {
        let viewer: UserID?, target: UserID?, home: Int
        if let pair = topics.viewPair(topic) {
            (viewer, target, home) = (UserID(pair.viewer), UserID(pair.target), index)
        } else if let routed = topics.routedViewPair(topic) {
            (viewer, target, home) = (UserID(routed.viewer), UserID(routed.target), routed.home)
        } else {
            return nil
        }
        guard let viewer, let target, owns(target), brokers.home(of: viewer) == home else { return nil }
        return (viewer, target)
    }

    /// What a message delivered by the links means to this shard (`FederatedInput`).
    func federatedInput(_ topics: TopicLayout, _ topic: String) -> FederatedInput {
        guard let origin = topics.federatedInputOrigin(topic) else { return .notFederated }
        guard origin.broker != index, let address = topics.inputAddress(origin.inputTopic), address.device == nil,
              let kind = UserInputKind(rawValue: String(address.kind)), TopicLayout.federatedInputs.contains(kind),
              let user = UserID(address.user), brokers.home(of: user) == origin.broker else { return .ignored }
        return .input(topic: origin.inputTopic)
    }

    /// The refusal of an input of a user homed elsewhere, naming the user's home broker.
    func wrongHome(_ user: UserID) -> InputRejection {
        InputRejection(.wrongHome, "\(user.rawValue) is homed at broker \(brokers.home(of: user)) (\(brokers.homeURL(of: user))), not at this one (\(index), \(brokerURL)): connect there", user: user)
    }
}

/// A message under `bridge/fed/`, as a shard reads it.
enum FederatedInput: Equatable {
    /// Not a federated topic: an input of this broker, or anything else.
    case notFederated
    /// A contacts or watch list delivered from the user's own home broker, with the input topic
    /// it was published on there: taken like an input of this broker.
    case input(topic: String)
    /// Another broker's copy of a list of a user not homed there (that user's home shard
    /// already refused it), or a federated topic that is no list: ignored, and counted.
    case ignored
}

/// Which targets, by user index, this bridge decides the views of (`BridgeConfiguration.owns`),
/// each hashed once for one pass over the views (an index names one user during a pass).
struct OwnedTargets {
    private let shard: Shard?
    /// 0 not known yet, 1 owned, 2 homed elsewhere.
    private var known: [UInt8]

    init(shard: Shard?, users: Int) {
        self.shard = shard
        known = shard == nil ? [] : Array(repeating: 0, count: users)
    }

    mutating func contains(_ target: Int32, id: () -> UserID) -> Bool {
        guard let shard else { return true }
        let slot = Int(target)
        guard known.indices.contains(slot) else { return shard.owns(id()) }
        if known[slot] == 0 { known[slot] = shard.owns(id()) ? 1 : 2 }
        return known[slot] == 1
    }
}

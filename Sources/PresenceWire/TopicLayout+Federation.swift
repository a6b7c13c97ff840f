import PresenceCore

/// The topics a federation of brokers adds, all under `{prefix}/bridge/` (no user reads or
/// writes there but the status topics): the only place that knows how they are spelled. The
/// shipped federation links (`scripts/make-federation.sh`) forward exactly these, and each link
/// writes what it forwards under a prefix that no link forwards again, so a full mesh of links
/// cannot loop.
///
/// - `{prefix}/bridge/fed/{i}/in/{user}/contacts|watch`: a list of a user homed at broker i, as
///   broker i's links deliver it to every other broker (from `{prefix}/in/{user}/…` there).
/// - `{prefix}/bridge/route/{j}/out/{viewer}/{target}`: a view decided on broker i for a viewer
///   homed at broker j; broker i's link to j delivers it there as `{prefix}/out/{viewer}/{target}`.
/// - `{prefix}/bridge/shards/{i}/status`: broker i's `{prefix}/bridge/status` (shard i's status
///   and will), as delivered to every other broker.
/// - `{prefix}/bridge/links/{i}/{j}`: `1` while broker i's link to broker j is up, `0` (its
///   will) when it is down: on broker j, `0` means the views of targets homed at i may be stale.
extension TopicLayout {
    /// `{prefix}/bridge/fed/`.
    private var federatedHead: String { prefix + "/bridge/fed/" }
    /// `{prefix}/bridge/route/`.
    private var routeHead: String { prefix + "/bridge/route/" }

    /// The user inputs every shard needs, whatever the user's home: the lists that say who
    /// watches whom.
    public static let federatedInputs: [UserInputKind] = [.contacts, .watch]

    /// The subscriptions that carry the lists of users homed at other brokers.
    public var federatedInputFilters: [String] {
        Self.federatedInputs.map { "\(federatedHead)+/in/+/\($0.rawValue)" }
    }

    /// `{prefix}/bridge/fed/{broker}/in/{user}/{kind}`: where broker `broker`'s links deliver the list.
    public func federatedInput(_ kind: UserInputKind, user: UserID, from broker: Int) -> String {
        "\(federatedHead)\(broker)/in/\(user.rawValue)/\(kind.rawValue)"
    }

    /// A federated input: the broker it came from and the input topic it was published on
    /// there; nil for any other topic.
    public func federatedInputOrigin(_ topic: String) -> (broker: Int, inputTopic: String)? {
        guard topic.hasPrefix(federatedHead) else { return nil }
        let rest = topic.dropFirst(federatedHead.count)
        guard let slash = rest.firstIndex(of: "/"), let broker = Int(rest[..<slash]), broker >= 0 else { return nil }
        let tail = rest[rest.index(after: slash)...]
        guard tail.hasPrefix("in/") else { return nil }
        return (broker, "\(prefix)/\(tail)")
    }

    /// `{prefix}/bridge/route/{home}/out/{viewer}/{target}`: a view for a viewer homed at `home`.
    public func routedViewTopic(home: Int, viewer: UserID, target: UserID) -> String {
        "\(routeHead)\(home)/out/\(viewer.rawValue)/\(target.rawValue)"
    }

    /// `{prefix}/bridge/route/{home}/out/{viewer}/+`: every routed view of one viewer.
    public func routedViewFilter(home: Int, of viewer: UserID) -> String {
        "\(routeHead)\(home)/out/\(viewer.rawValue)/+"
    }

    /// Every routed view held on this broker.
    public var routedViewFilter: String { "\(routeHead)+/out/+/+" }

    /// The `{viewer}/{target}` of a routed view topic, not validated; nil for any other topic.
    public func routedViewPair(_ topic: String) -> (home: Int, viewer: Substring, target: Substring)? {
        guard topic.hasPrefix(routeHead) else { return nil }
        let parts = topic.dropFirst(routeHead.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1] == "out", let home = Int(parts[0]) else { return nil }
        return (home, parts[2], parts[3])
    }

    /// `{prefix}/bridge/shards/{shard}/status`: shard `shard`'s `bridge/status`, on every broker.
    public func shardStatusTopic(_ shard: Int) -> String { "\(prefix)/bridge/shards/\(shard)/status" }

    /// `{prefix}/bridge/links/{from}/{to}`: `1` or `0`, the state of broker `from`'s link to `to`.
    public func linkTopic(from: Int, to: Int) -> String { "\(prefix)/bridge/links/\(from)/\(to)" }
}

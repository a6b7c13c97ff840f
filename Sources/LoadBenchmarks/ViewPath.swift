/// What turns a state input into its views in a round: the bridge under test, or the null
/// bridge beside it (`NullBridge`: the same two broker hops, no logic), each on its own topics.
enum ViewPath: Sendable {
    case bridge
    case nullBridge

    /// The state input topic of `u{user}`'s device `d1` on this path.
    func stateTopic(_ user: Int) -> String {
        switch self {
        case .bridge: BenchPayloads.stateTopic(user)
        case .nullBridge: NullBridgeLayout.stateTopic(user)
        }
    }
}

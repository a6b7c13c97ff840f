import PresenceWire

/// One user's settings or list payload, applied: the user (by index), which input, and the
/// digest of its bytes.
struct AppliedInput: Equatable, Sendable {
    var user: Int32
    /// `AppliedInputs.slot(_:)`: 0 settings, 1 contacts, 2 blocked, 3 watch.
    var kind: Int
    var digest: UInt64
}

/// The digest of the payload last applied for each user's settings and lists, kept in the store
/// with the batch that applied it.
///
/// At a restart the broker replays every retained list, 50 ids each; one that is byte for byte
/// the payload the store already reflects changes nothing, so it is skipped unparsed. Only
/// applied payloads are noted: a rejected one is parsed (and answered on `err/{user}`) again at
/// every resync. A cleared input (an empty payload) is noted as `ViewDigest.deleted`, which
/// matches nothing: the payload before it, sent again while the bridge was away, is applied.
struct AppliedInputs {
    private var digests: [UInt64] = []
    /// Noted since the last store write.
    private(set) var pending: [AppliedInput] = []

    init(_ stored: [AppliedInput] = []) {
        for input in stored where input.user >= 0 && (0..<4).contains(input.kind) { set(input) }
    }

    static func slot(_ kind: UserInputKind) -> Int {
        switch kind {
        case .settings: 0
        case .contacts: 1
        case .blocked: 2
        case .watch: 3
        }
    }

    /// True when a payload (not a clearing) is noted as last applied for this input.
    func hasApplied(user: Int32, kind: Int) -> Bool {
        let index = Int(user) * 4 + kind
        return index < digests.count && digests[index] != ViewDigest.deleted
    }

    /// True when `digest` is the payload last applied for this input.
    func isApplied(user: Int32, kind: Int, digest: UInt64) -> Bool {
        let index = Int(user) * 4 + kind
        return index < digests.count && digests[index] == digest && digest != ViewDigest.deleted
    }

    mutating func note(_ input: AppliedInput) {
        set(input)
        pending.append(input)
    }

    mutating func stored() { pending.removeAll(keepingCapacity: true) }

    private mutating func set(_ input: AppliedInput) {
        let index = Int(input.user) * 4 + input.kind
        if index >= digests.count { digests.append(contentsOf: repeatElement(ViewDigest.deleted, count: index + 1 - digests.count)) }
        digests[index] = input.digest
    }
}

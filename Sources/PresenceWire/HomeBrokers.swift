import PresenceCore

/// The brokers of a federation, in order, and the home broker of every user: the one rule that
/// says where a user's devices and viewers connect, and which shard of the bridge owns the user.
///
/// The home is chosen by rendezvous (highest-random-weight) hashing: every broker scores the
/// user, and the highest score wins,
///
///     score(broker, user) = mix64(FNV-1a-64(UTF-8 of broker + "|" + user))
///
/// where the broker is its URL exactly as written in the list, FNV-1a-64 starts from
/// 0xcbf29ce484222325 and multiplies by 0x100000001b3 after XOR-ing each byte, and mix64 is
/// MurmurHash3's 64-bit finaliser (`x ^= x >> 33; x *= 0xff51afd7ed558ccd; x ^= x >> 33;
/// x *= 0xc4ceb9fe1a85ec53; x ^= x >> 33`, all modulo 2⁶⁴). The finaliser is there because
/// FNV-1a alone barely moves its high bits on the last byte, so `user1`, `user2`, … would mostly
/// share a home. A tie (never seen) goes to the broker earlier in the list.
///
/// Adding an (N+1)th broker moves only the users the new broker now outscores, about 1/(N+1)
/// of them, and each of those to the new broker; removing one moves only its own users. The
/// order of the list does not matter (but for ties); the URL strings do: every party must use
/// the same list, byte for byte.
public struct HomeBrokers: Sendable, Equatable {
    /// The broker URLs, in the order of the federation (broker i is index i).
    public let urls: [String]

    /// A federation of these brokers; nil when the list is empty or names a broker twice.
    public init?(urls: [String]) {
        guard !urls.isEmpty, Set(urls).count == urls.count, !urls.contains(where: \.isEmpty) else { return nil }
        self.urls = urls
    }

    /// A comma-separated list (`mqtt://a:1883,mqtt://b:1883`), spaces around items ignored.
    public init?(list: String) {
        self.init(urls: list.split(separator: ",").map { String($0.trimmingSpaces) }.filter { !$0.isEmpty })
    }

    /// How many brokers there are.
    public var count: Int { urls.count }

    /// The index of `user`'s home broker.
    public func home(of user: UserID) -> Int {
        var best = 0
        var bestScore: UInt64 = 0
        for (index, url) in urls.enumerated() {
            let score = Self.score(broker: url, user: user.rawValue)
            if index == 0 || score > bestScore {
                best = index
                bestScore = score
            }
        }
        return best
    }

    /// The URL of `user`'s home broker.
    public func homeURL(of user: UserID) -> String { urls[home(of: user)] }

    /// `mix64(FNV-1a-64(broker + "|" + user))`, the rendezvous score (see the type's doc).
    public static func score(broker: String, user: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        for byte in broker.utf8 { add(byte) }
        add(UInt8(ascii: "|"))
        for byte in user.utf8 { add(byte) }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}

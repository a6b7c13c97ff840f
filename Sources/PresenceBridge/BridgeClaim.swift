import PresenceWire

/// The bridge's retained marker `bridge/claim`: which bridge process claimed the prefix last.
///
/// One bridge serves a prefix at a time, and two bridges with one client id take each other's
/// broker connection over. mosquitto 2.0 closes the older connection without telling it why
/// (no DISCONNECT 0x8E reaches it), so the marker is the sign: every bridge process claims the
/// prefix with a random instance id when it first connects; after a lost connection, a replay
/// that shows another instance's claim means a newer bridge connected meanwhile and took this
/// one over, and this one stands down (`BridgeTakenOver`). Its own claim (or none: a broker that
/// lost its state) means an ordinary gap. Payload: `{"instance":"<16 hex digits>"}`.
struct BridgeClaim: Equatable, Sendable {
    var instance: UInt64

    /// A claim for a new bridge process.
    static func random() -> BridgeClaim {
        var generator = SystemRandomNumberGenerator()
        return BridgeClaim(instance: generator.next())
    }

    init(instance: UInt64) {
        self.instance = instance
    }

    /// The instance id as 16 hex digits.
    var text: String {
        let hex = String(instance, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    var payload: [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.member("instance", text)
        json.endObject()
        return json.bytes
    }

    /// Reads a claim; nil for anything that is not one (taken as no claim).
    init?(payload: [UInt8]) {
        guard case .object(let members)? = try? JSONValue.parse(payload),
              case .string(let text)? = members["instance"], text.utf8.count == 16,
              let instance = UInt64(text, radix: 16) else { return nil }
        self.instance = instance
    }
}

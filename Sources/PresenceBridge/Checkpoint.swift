import PresenceWire

/// The bridge's retained marker `bridge/checkpoint`: every view of every batch up to `sequence`
/// of the store of `epoch` was handed to the broker, on one connection, before this marker.
///
/// The broker handles one connection's publishes in order, so a broker that holds this marker
/// holds all those views; mosquitto saves its retained messages all at once (at its autosave
/// and at shutdown), so after a crash it comes back with an older marker and the views before
/// it. Payload: `{"epoch":"<16 hex digits>","sequence":N}`.
struct Checkpoint: Equatable, Sendable {
    var epoch: UInt64
    var sequence: Int64

    var payload: [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        let hex = String(epoch, radix: 16)
        json.member("epoch", String(repeating: "0", count: 16 - hex.count) + hex)
        json.key("sequence"); json.number(sequence)
        json.endObject()
        return json.bytes
    }

    /// Reads a marker; nil for anything that is not one (the bridge then trusts nothing).
    init?(payload: [UInt8]) {
        guard case .object(let members)? = try? JSONValue.parse(payload),
              case .string(let epochText)? = members["epoch"], let epoch = UInt64(epochText, radix: 16),
              case .number(let number)? = members["sequence"], number >= 0, number <= 9e15,
              number == number.rounded() else { return nil }
        self.epoch = epoch
        sequence = Int64(number)
    }

    init(epoch: UInt64, sequence: Int64) {
        self.epoch = epoch
        self.sequence = sequence
    }
}

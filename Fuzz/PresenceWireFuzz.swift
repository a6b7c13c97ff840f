// A libFuzzer target over the bridge's input decoder and its JSON parser (PresenceWire), built
// by scripts/fuzz.sh with `swiftc -sanitize=fuzzer,address` from the sources of PresenceCore and
// PresenceWire compiled as one module. libFuzzer reports a crash, a hang (-timeout) or memory
// beyond -rss_limit_mb; the target itself checks that the same input always gets the same
// answer (no state leaks from one input into the next).

/// The topics a fuzzed payload is sent to: the first byte of the input picks one, the rest is
/// the payload (every kind of input, and a topic that is not an input at all).
private let topics = [
    "presence/v1/in/alice/phone/state", "presence/v1/in/alice/phone/heartbeat",
    "presence/v1/in/alice/phone/activity", "presence/v1/in/alice/settings",
    "presence/v1/in/alice/contacts", "presence/v1/in/alice/blocked", "presence/v1/in/alice/watch",
    "presence/v1/in/alice/nonsense", "presence/v1/out/alice/bob",
]

private let decoder = InputDecoder(topics: TopicLayout())

@_cdecl("LLVMFuzzerTestOneInput")
public func presenceWireFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let topic = topics[Int(bytes.first ?? 0) % topics.count]
    let payload = Array(bytes.dropFirst())
    let first = outcome(topic, payload)
    if first != outcome(topic, payload) { fatalError("the decoder answered the same input twice differently") }
    _ = try? JSONValue.parse(payload)
    _ = try? ViewDecoder.decode(payload)
    return 0
}

/// The decoder's answer as text, to compare two runs.
private func outcome(_ topic: String, _ payload: [UInt8]) -> String {
    do {
        return "\(try decoder.decode(topic: topic, payload: payload))"
    } catch {
        return "rejected: \(error)"
    }
}

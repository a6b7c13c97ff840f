import Foundation
import MQTT

/// A stream of random and malformed inputs from users outside the load (`h0000`, …), a tenth of
/// them flooding far beyond the bridge's rate limit, through the real broker (the bridge's account writes
/// them on the hostile users' own topics: identity comes from the topic), over four connections,
/// each for a quarter of the senders. None of them is listed by a user of the load, so the
/// load's views must stay exactly what its own inputs imply.
final class HostileInput: Sendable {
    let senders: [String]
    private let clients: [MQTTClient]

    init(brokerURL: String, senders count: Int) async throws {
        senders = (0..<count).map { String(format: "h%04d", $0) }
        var clients: [MQTTClient] = []
        for index in 0..<4 { clients.append(try await connectOperator(brokerURL, "hostile-\(index)")) }
        self.clients = clients
    }

    func close() async {
        for client in clients { await client.disconnect() }
    }

    /// Sends `perSecond` inputs per sender until cancelled; returns how many were handed over.
    func run(perSecond: Double) -> Task<Int, Never> {
        let shares = clients.enumerated().map { index, client in
            (client, senders.enumerated().filter { $0.offset % clients.count == index }.map(\.element))
        }
        return Task {
            await withTaskGroup(of: Int.self) { group in
                for (client, share) in shares {
                    group.addTask { await Self.send(share, over: client, perSecond: perSecond) }
                }
                return await group.reduce(0, +)
            }
        }
    }

    /// `perSecond` inputs for each of `senders` over `client` until cancelled; how many went out.
    private static func send(_ senders: [String], over client: MQTTClient, perSecond: Double) async -> Int {
        var generator = SystemRandomNumberGenerator()
        var sent = 0
        let tick = 0.05
        var owed = 0.0
        while !Task.isCancelled {
            owed += perSecond * Double(senders.count) * tick
            while owed >= 1, !Task.isCancelled {
                owed -= 1
                // Three inputs in ten from the first tenth of the senders: they flood (about four
                // times the others' rate), beyond the rate limit.
                let flooders = senders.prefix(max(1, senders.count / 10))
                let sender = (Int.random(in: 0..<10, using: &generator) < 3 ? flooders.randomElement(using: &generator)
                              : senders.randomElement(using: &generator))!
                let (suffix, payload) = input(using: &generator)
                let message = MQTTMessage(topic: "presence/v1/in/\(sender)/\(suffix)", payload: payload,
                                          qos: .atMostOnce, retain: Bool.random(using: &generator))
                if (try? await client.publish(message)) != nil { sent += 1 }
            }
            try? await Task.sleep(for: .seconds(tick))
        }
        return sent
    }

    /// One hostile input: a topic under the sender's own inputs and a payload that is random
    /// bytes, or a valid payload broken in one of the ways the contract names.
    static func input(using generator: inout some RandomNumberGenerator) -> (String, [UInt8]) {
        let device = ["d", "phone", "d\(Int.random(in: 0..<40, using: &generator))", "bad/id", "#", "é"].randomElement(using: &generator)!
        let suffix = ["\(device)/state", "\(device)/heartbeat", "\(device)/activity", "settings", "contacts", "blocked",
                      "watch", "nonsense", "\(device)/state/extra"].randomElement(using: &generator)!
        let payload: [UInt8]
        switch Int.random(in: 0..<18, using: &generator) {
        case 0: payload = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        case 1: payload = Array(#"{"status":"online","session":"s1"}"#.utf8.prefix(Int.random(in: 0..<30, using: &generator)))
        case 2: payload = Array((String(repeating: "[", count: Int.random(in: 1..<20_000, using: &generator))).utf8)
        case 3: payload = Array(("\"" + String(repeating: "x", count: 60_000) + "\"").utf8)
        case 4: payload = [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]  // {"\xC3(":1}: invalid UTF-8
        case 5: payload = Array(#"{"status":"online","status":"away"}"#.utf8)
        case 6: payload = Array(#"{"status":"sleeping"}"#.utf8)
        case 7: payload = Array(#"{"status":"online","session":"\#(String(repeating: "s", count: 65))"}"#.utf8)
        case 8: payload = Array(#"{"type":"typing","ttl":1e400,"to":["\#(String(repeating: "a", count: 70))"]}"#.utf8)
        case 9: payload = Array(#"{"type":"dancing"}"#.utf8)
        case 10: payload = Array(#"{"showOnlineStatus":"friends"}"#.utf8)
        case 11: payload = Array(#"{"showOnlineStatus":null,"x":{"y":[1,2,{"z":true}]}}"#.utf8)
        case 12: payload = Array(("[" + (0..<2_001).map { "\"x\($0)\"" }.joined(separator: ",") + "]").utf8)
        case 13: payload = Array(##"["ok","bad id","+","#","/"]"##.utf8)
        case 14: payload = Array(#"[1,2,3]"#.utf8)
        case 15: payload = Array(#"-0.0e-99999"#.utf8)
        case 16: payload = Array(#"{"a":"\ud800"}"#.utf8)
        default: payload = Array("online".utf8)  // valid: a hostile user may also say something sensible
        }
        return (suffix, payload)
    }
}

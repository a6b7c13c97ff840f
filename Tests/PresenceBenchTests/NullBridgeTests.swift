import Foundation
@testable import LoadBenchmarks
import LocalBroker
import MQTT
import Synchronization
import Testing

@Suite("The null bridge against a real mosquitto", .timeLimit(.minutes(2)))
struct NullBridgeTests {
    @Test("a live state input comes back as its C + 1 retained views with the input's marker, and nothing else")
    func relaysViews() async throws {
        let ring = BenchRing(users: 20, contacts: 3)
        try await withLocalBroker(
            users: ["null-bridge": "pw-null", "bench": "pw-bench"],
            extraACL: "\nuser bench\ntopic readwrite bench/#\n\nuser null-bridge\ntopic readwrite \(NullBridgeLayout.prefix)/#\n"
        ) { broker in
            func configuration(_ user: String, _ password: String) throws -> MQTTConfiguration {
                var configuration = try MQTTConfiguration(url: broker.url, clientID: "\(user)-\(UUID().uuidString.prefix(6))")
                configuration.username = user
                configuration.password = password
                configuration.reconnect.enabled = false
                return configuration
            }
            let ready = Mutex(false)
            let relay = Task { try await NullBridge.run(configuration: try configuration("null-bridge", "pw-null"), ring: ring) { ready.withLock { $0 = true } } }
            defer { relay.cancel() }
            try await waitUntil("the null bridge subscribes") { ready.withLock { $0 } }

            let client = MQTTClient(configuration: try configuration("bench", "pw-bench"))
            try await client.connect()
            // Everything under the prefix: its views, and anything else it might publish.
            _ = try await client.subscribe(["\(NullBridgeLayout.prefix)/#"], qos: .atLeastOnce)
            let received = Mutex<[MQTTMessage]>([])
            let consumer = Task { for await message in client.messages { received.withLock { $0.append(message) } } }
            try await client.publish(MQTTMessage(topic: NullBridgeLayout.stateTopic(5),
                                                 payload: BenchPayloads.state(.online, session: "s5", seq: 9, sent: 77),
                                                 qos: .atLeastOnce, retain: true))
            try await waitUntil("the four views arrive") {
                received.withLock { $0.filter { $0.topic.contains("/out/") }.count } >= 4
            }
            // A sentinel after them: once its views are in, anything else would have come too.
            try await client.publish(MQTTMessage(topic: NullBridgeLayout.stateTopic(0),
                                                 payload: BenchPayloads.state(.away, session: "s0", seq: 10, sent: 78), qos: .atLeastOnce))
            try await waitUntil("the sentinel's views arrive") {
                received.withLock { $0.filter { $0.topic.hasSuffix("/u0") }.count } >= 4
            }
            let views = received.withLock { $0 }.filter { $0.topic.hasSuffix("/u5") }
            #expect(Set(views.map(\.topic)) == Set(ring.viewers(of: 5).map { NullBridgeLayout.viewTopic(viewer: $0, target: 5) }))
            #expect(views.count == 4)
            for view in views {
                view.payload.withUnsafeBufferPointer { bytes in
                    #expect(BenchPayloads.marker(bytes)?.seq == 9)
                    #expect(BenchPayloads.status(bytes) == .online)
                }
            }
            let others = received.withLock { $0 }.filter { !$0.topic.contains("/out/") && !$0.topic.contains("/in/") }
            #expect(others.isEmpty, "the null bridge publishes views and nothing else")
            consumer.cancel()
            await client.disconnect()
            relay.cancel()
            await #expect(throws: CancellationError.self) { try await relay.value }
        }
    }
}

import LocalBroker
import MQTT
import Testing

@Suite("The shipped ACL and the will", .serialized, .timeLimit(.minutes(3)))
struct AccessControlTests {
    let prefix = TestBroker.prefix

    @Test("alice cannot write bob's inputs: the broker drops the publish", arguments: [MQTTProtocolVersion.v5, .v311])
    func foreignPublishDropped(version: MQTTProtocolVersion) async throws {
        try await TestBroker.run { broker in
            let bridge = try await TestBroker.connected(broker, user: "presence-bridge")
            let inbox = Inbox(bridge)
            _ = try await bridge.subscribe(["\(prefix)/in/#"])
            let alice = try await TestBroker.connected(broker, user: "alice", version: version)
            try await alice.publish(MQTTMessage(topic: "\(prefix)/in/bob/phone/state", payload: bytes("online"), qos: .atLeastOnce, retain: true))
            // Published after the foreign one on the same connection: arrives after it, if it arrived.
            try await alice.publish(MQTTMessage(topic: "\(prefix)/in/alice/phone/state", payload: bytes("online"), qos: .atLeastOnce))
            await alice.waitForPublishes()
            try await inbox.first(on: "\(prefix)/in/alice/phone/state")
            #expect(inbox.on("\(prefix)/in/bob/phone/state").isEmpty)
            await alice.disconnect()
            await bridge.disconnect()
        }
    }

    @Test("alice cannot read bob's views, only her own")
    func foreignReadDropped() async throws {
        try await TestBroker.run { broker in
            let alice = try await TestBroker.connected(broker, user: "alice")
            let inbox = Inbox(alice)
            let granted = try await alice.subscribe(["\(prefix)/out/bob/+", "\(prefix)/out/alice/+"])
            #expect(granted.last == .atLeastOnce)
            let bridge = try await TestBroker.connected(broker, user: "presence-bridge")
            try await bridge.publish(MQTTMessage(topic: "\(prefix)/out/bob/carol", payload: bytes("{}"), qos: .atLeastOnce, retain: true))
            try await bridge.publish(MQTTMessage(topic: "\(prefix)/out/alice/carol", payload: bytes("{}"), qos: .atLeastOnce, retain: true))
            try await inbox.first(on: "\(prefix)/out/alice/carol")
            #expect(inbox.on("\(prefix)/out/bob/carol").isEmpty)
            await alice.disconnect()
            await bridge.disconnect()
        }
    }

    @Test("the will is published when a client vanishes without DISCONNECT, not after a clean one")
    func willOnAbort() async throws {
        try await TestBroker.run { broker in
            let bridge = try await TestBroker.connected(broker, user: "presence-bridge")
            let inbox = Inbox(bridge)
            _ = try await bridge.subscribe(["\(prefix)/in/+/+/state"])
            let will = MQTTMessage(
                topic: "\(prefix)/in/alice/phone/state",
                payload: bytes(#"{"status":"offline","session":"s1","reason":"lost"}"#), qos: .atLeastOnce, retain: true)

            // A clean disconnect: no will (checked with a marker the same client publishes before).
            let polite = try await TestBroker.connected(broker, user: "alice", id: "alice-laptop", will: will)
            try await polite.publish(MQTTMessage(topic: "\(prefix)/in/alice/laptop/state", payload: bytes("online"), qos: .atLeastOnce))
            await polite.disconnect()
            try await inbox.first(on: "\(prefix)/in/alice/laptop/state")

            let vanishing = try await TestBroker.connected(broker, user: "alice", id: "alice-phone", will: will)
            await vanishing.abortConnection()
            let delivered = try await inbox.first(on: will.topic)
            #expect(delivered.payload == will.payload)
            #expect(inbox.on(will.topic).count == 1, "broker log:\n\(broker.log())")
            await bridge.disconnect()
        }
    }
}

import LocalBroker
import MQTT
import Testing

@Suite("Publishing and subscribing", .serialized, .timeLimit(.minutes(3)))
struct PublishSubscribeTests {
    @Test("messages of every QoS arrive, with the granted QoS reported", arguments: [MQTTProtocolVersion.v5, .v311])
    func publishSubscribe(version: MQTTProtocolVersion) async throws {
        try await TestBroker.run { broker in
            let subscriber = try await TestBroker.connected(broker, user: "tester", version: version)
            let publisher = try await TestBroker.connected(broker, user: "tester", version: version)
            let inbox = Inbox(subscriber)
            let granted = try await subscriber.subscribe(["test/a/+", "test/b/#"], qos: .exactlyOnce)
            #expect(granted == [.exactlyOnce, .exactlyOnce])
            for qos in [QoS.atMostOnce, .atLeastOnce, .exactlyOnce] {
                try await publisher.publish(MQTTMessage(topic: "test/a/\(qos.rawValue)", payload: bytes("q\(qos.rawValue)"), qos: qos))
            }
            try await publisher.publish(MQTTMessage(topic: "test/b/deep/er", payload: [], qos: .atLeastOnce))
            await publisher.waitForPublishes()
            try await waitUntil("four messages") { inbox.count == 4 }
            for qos in [QoS.atMostOnce, .atLeastOnce, .exactlyOnce] {
                let message = try #require(inbox.on("test/a/\(qos.rawValue)").first)
                #expect(message.payload == bytes("q\(qos.rawValue)"))
                #expect(message.qos == qos)
                #expect(message.retain == false)
            }
            #expect(inbox.on("test/b/deep/er").first?.payload == [])

            try await subscriber.unsubscribe(["test/a/+"])
            try await publisher.publish(MQTTMessage(topic: "test/a/x", payload: bytes("after"), qos: .atLeastOnce))
            try await publisher.publish(MQTTMessage(topic: "test/b/marker", payload: bytes("m"), qos: .atLeastOnce))
            try await inbox.first(on: "test/b/marker")
            #expect(inbox.on("test/a/x").isEmpty)
            #expect(publisher.statistics.published == 6)
            #expect(subscriber.statistics.received == 5)
            await publisher.disconnect()
            await subscriber.disconnect()
        }
    }

    @Test("an invalid filter is refused before anything is sent; no filters is a no-op")
    func invalidFilter() async throws {
        try await TestBroker.run { broker in
            let client = try await TestBroker.connected(broker, user: "tester")
            await #expect(throws: MQTTError.self) { _ = try await client.subscribe(["test/#/bad"]) }
            #expect(try await client.subscribe([]) == [])
            await client.disconnect()
        }
    }

    @Test("retained messages replay with the retain flag, and an empty retained payload clears them",
          arguments: [MQTTProtocolVersion.v5, .v311])
    func retained(version: MQTTProtocolVersion) async throws {
        try await TestBroker.run { broker in
            let publisher = try await TestBroker.connected(broker, user: "tester", version: version)
            let live = try await TestBroker.connected(broker, user: "tester", version: version)
            let liveInbox = Inbox(live)
            _ = try await live.subscribe(["test/retained"])
            try await publisher.publish(MQTTMessage(topic: "test/retained", payload: bytes("kept"), qos: .atLeastOnce, retain: true))
            await publisher.waitForPublishes()

            // Live subscribers get it with RETAIN 0; a new subscriber gets the replay with RETAIN 1.
            #expect(try await liveInbox.first(on: "test/retained").retain == false)
            let late = try await TestBroker.connected(broker, user: "tester", version: version)
            let lateInbox = Inbox(late)
            _ = try await late.subscribe(["test/retained"])
            let replay = try await lateInbox.first(on: "test/retained")
            #expect(replay.retain == true)
            #expect(replay.payload == bytes("kept"))

            // Clear it: live subscribers see the empty message; a later subscriber sees nothing.
            try await publisher.publish(MQTTMessage(topic: "test/retained", payload: [], qos: .atLeastOnce, retain: true))
            await publisher.waitForPublishes()
            try await waitUntil("the empty message") { liveInbox.on("test/retained").count == 2 }
            #expect(liveInbox.on("test/retained").last?.payload == [])

            let after = try await TestBroker.connected(broker, user: "tester", version: version)
            let afterInbox = Inbox(after)
            _ = try await after.subscribe(["test/retained"])
            // A live marker on the same topic, published after the SUBACK, comes after any replay.
            try await publisher.publish(MQTTMessage(topic: "test/retained", payload: bytes("marker"), qos: .atLeastOnce))
            try await afterInbox.first(on: "test/retained")
            #expect(afterInbox.on("test/retained").map(\.payload) == [bytes("marker")])
            for client in [publisher, live, late, after] { await client.disconnect() }
        }
    }

    @Test("publish waits for an in-flight slot and waitForPublishes drains")
    func inflightBound() async throws {
        try await TestBroker.run { broker in
            let publisher = try TestBroker.client(broker, user: "tester") { $0.maxInflightPublishes = 3 }
            try await publisher.connect()
            let subscriber = try await TestBroker.connected(broker, user: "tester")
            let inbox = Inbox(subscriber)
            _ = try await subscriber.subscribe(["test/bound"])
            for index in 0..<200 {
                try await publisher.publish(MQTTMessage(topic: "test/bound", payload: bytes("\(index)"), qos: .atLeastOnce))
            }
            await publisher.waitForPublishes()
            try await waitUntil("200 messages") { inbox.count == 200 }
            #expect(inbox.all.map(\.payload) == (0..<200).map { bytes("\($0)") })
            await publisher.disconnect()
            await subscriber.disconnect()
        }
    }
}

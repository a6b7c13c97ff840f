import LocalBroker
import MQTT
import Testing

@Suite("Reconnecting", .serialized, .timeLimit(.minutes(3)))
struct ReconnectTests {
    @Test("after a broker restart the client reconnects, restores its subscriptions and reports the gap",
          arguments: [MQTTProtocolVersion.v5, .v311])
    func brokerRestart(version: MQTTProtocolVersion) async throws {
        try await TestBroker.run { broker in
            let subscriber = try TestBroker.client(broker, user: "tester", version: version)
            let events = EventLog(subscriber)
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            _ = try await subscriber.subscribe(["test/before/#", "test/qos0"], qos: .atLeastOnce)
            _ = try await subscriber.subscribe(["test/qos0"], qos: .atMostOnce)
            let publisher = try await TestBroker.connected(broker, user: "tester", version: version)
            try await publisher.publish(MQTTMessage(topic: "test/before/1", payload: bytes("1"), qos: .atLeastOnce))
            try await inbox.first(on: "test/before/1")

            try await broker.restart()

            try await waitUntil(timeout: .seconds(60), "disconnected then connected again") {
                let all = events.all
                return all.count >= 3 && all.last == .connected(sessionPresent: false)
            }
            let all = events.all
            #expect(all.first == .connected(sessionPresent: false))
            guard case .disconnected(let reason) = all[1] else {
                Issue.record("expected a disconnected event, got \(all)")
                return
            }
            #expect(!reason.isEmpty)
            #expect(subscriber.statistics.reconnects >= 1)

            // The publisher reconnects too; publishing while it is still away fails with .noConnection.
            try await waitUntil(timeout: .seconds(60), "the publisher delivers after the restart") {
                do {
                    try await publisher.publish(MQTTMessage(topic: "test/before/2", payload: bytes("2"), qos: .atLeastOnce))
                    return true
                } catch let error as MQTTError {
                    #expect(error.code == .noConnection)
                    return false
                }
            }
            try await publisher.publish(MQTTMessage(topic: "test/qos0", payload: bytes("0"), qos: .atMostOnce))
            let restored = try await inbox.first(on: "test/before/2")
            #expect(restored.payload == bytes("2"))
            #expect(try await inbox.first(on: "test/qos0").qos == .atMostOnce)
            await publisher.disconnect()
            await subscriber.disconnect()
            // disconnect() reports a last event, then the sequence ends.
            try await waitUntil("the last event") { events.all.count > all.count }
            #expect(events.all.dropFirst(all.count) == [.disconnected(reason: "disconnected by the client")])
        }
    }

    @Test("with restoresSubscriptions off, a reconnect subscribes to nothing until the owner does")
    func noAutomaticResubscription() async throws {
        try await TestBroker.run { broker in
            let subscriber = try TestBroker.client(broker, user: "tester") { $0.restoresSubscriptions = false }
            let events = EventLog(subscriber)
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            _ = try await subscriber.subscribe(["test/old"], qos: .atLeastOnce)
            try await broker.restart()
            try await waitUntil(timeout: .seconds(60), "connected again") {
                events.all.count >= 3 && events.all.last == .connected(sessionPresent: false)
            }
            _ = try await subscriber.subscribe(["test/new"], qos: .atLeastOnce)
            let publisher = try await TestBroker.connected(broker, user: "tester")
            try await publisher.publish(MQTTMessage(topic: "test/old", payload: bytes("old"), qos: .atLeastOnce))
            try await publisher.publish(MQTTMessage(topic: "test/new", payload: bytes("new"), qos: .atLeastOnce))
            try await inbox.first(on: "test/new")   // sent after test/old on one connection: a sentinel
            #expect(!inbox.all.contains { $0.topic == "test/old" })
            await publisher.disconnect()
            await subscriber.disconnect()
        }
    }

    @Test("a persistent MQTT 5 session survives a broker restart: sessionPresent, queued QoS 1 delivered")
    func persistentSession() async throws {
        try await TestBroker.run { broker in
            let subscriber = try TestBroker.client(broker, user: "tester", id: "tester-persistent", cleanStart: false)
            let events = EventLog(subscriber)
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            _ = try await subscriber.subscribe(["test/persistent"], qos: .atLeastOnce)
            try await broker.restart()
            try await waitUntil(timeout: .seconds(60), "reconnected with the session") {
                events.all.last == .connected(sessionPresent: true)
            }
            let publisher = try await TestBroker.connected(broker, user: "tester")
            try await publisher.publish(MQTTMessage(topic: "test/persistent", payload: bytes("p"), qos: .atLeastOnce))
            #expect(try await inbox.first(on: "test/persistent").payload == bytes("p"))
            await publisher.disconnect()
            await subscriber.disconnect()
        }
    }

    @Test("disconnect() works while the client is waiting to reconnect")
    func disconnectWhileReconnecting() async throws {
        try await TestBroker.run { broker in
            let client = try TestBroker.client(broker, user: "tester") { $0.reconnect.initialDelay = .seconds(20) }
            let events = EventLog(client)
            try await client.connect()
            await broker.stopProcess()
            try await waitUntil("the disconnected event") { events.all.count == 2 }
            let start = ContinuousClock.now
            await client.disconnect()
            #expect(ContinuousClock.now - start < .seconds(5))
            var iterator = client.connectionEvents.makeAsyncIterator()
            while await iterator.next() != nil {}  // the sequence ends
        }
    }
}

@Suite("Publishes a lost connection left unacknowledged", .serialized, .timeLimit(.minutes(2)))
struct UnacknowledgedAfterReconnectTests {
    /// Publishes `old` over a connection that never acknowledges it, loses that connection, and
    /// publishes `sentinel` over the next: returns whether `old` went out again on the second
    /// (the sentinel, published after the reconnect, bounds the wait).
    private func oldSentAgain(discarding: Bool) async throws -> Bool {
        let broker = try UnacknowledgingBroker()
        var configuration = try MQTTConfiguration(url: "mqtt://127.0.0.1:\(broker.port)", clientID: "unacknowledged")
        configuration.reconnect.initialDelay = .milliseconds(10)
        configuration.discardsUnacknowledgedOnReconnect = discarding
        let client = MQTTClient(configuration: configuration)
        var events = client.connectionEvents.makeAsyncIterator()
        try await client.connect()
        _ = await events.next()  // connected
        try await client.publish(MQTTMessage(topic: "test/old", payload: bytes("old-view"), qos: .atLeastOnce))
        try await waitUntil("the first connection received the publish") { broker.connection(0, received: "old-view") }
        broker.dropConnection()
        guard case .disconnected? = await events.next(), case .connected? = await events.next() else {
            Issue.record("expected the connection lost, then back")
            await client.abortConnection()
            return false
        }
        try await client.publish(MQTTMessage(topic: "test/sentinel", payload: bytes("sentinel"), qos: .atLeastOnce))
        try await waitUntil("the second connection received the sentinel") { broker.connection(1, received: "sentinel") }
        await client.abortConnection()
        return broker.connection(1, received: "old-view")
    }

    @Test("discardsUnacknowledgedOnReconnect is refused with a kept session (cleanStart off)")
    func refusedWithKeptSession() async throws {
        var configuration = try MQTTConfiguration(url: "mqtt://127.0.0.1:1", clientID: "kept")
        configuration.cleanStart = false
        configuration.discardsUnacknowledgedOnReconnect = true
        let client = MQTTClient(configuration: configuration)
        let error = await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("cleanStart") == true, "\(String(describing: error))")
    }

    @Test("libmosquitto sends them again after the reconnect; with discardsUnacknowledgedOnReconnect they are forgotten")
    func forgotten() async throws {
        #expect(try await oldSentAgain(discarding: false), "without the option libmosquitto resends (the test would show nothing otherwise)")
        #expect(try await !oldSentAgain(discarding: true))
    }
}

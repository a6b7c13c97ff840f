import LocalBroker
import MQTT
import Testing

@Suite("Connecting", .serialized, .timeLimit(.minutes(3)))
struct ConnectTests {
    @Test("a URL gives host, port and TLS", arguments: [
        ("mqtt://127.0.0.1:1884", "127.0.0.1", 1884, false),
        ("mqtt://broker.example", "broker.example", 1883, false),
        ("mqtts://broker.example", "broker.example", 8883, true),
        ("mqtts://broker.example:9999/", "broker.example", 9999, true),
        ("mqtt://[::1]:1885", "::1", 1885, false),
    ])
    func urlParsing(url: String, host: String, port: Int, tls: Bool) throws {
        let configuration = try MQTTConfiguration(url: url, clientID: "x")
        #expect(configuration.host == host)
        #expect(configuration.port == port)
        #expect((configuration.tls != nil) == tls)
    }

    @Test("a bad URL is refused with .invalidURL", arguments: [
        "http://host", "mqtt://", "mqtt://host:0", "mqtt://host:70000", "mqtt://user@host", "host:1883", "mqtt://host/path",
    ])
    func badURL(url: String) {
        #expect(throws: MQTTError.self) { _ = try MQTTConfiguration(url: url, clientID: "x") }
        do {
            _ = try MQTTConfiguration(url: url, clientID: "x")
        } catch {
            #expect(error.code == .invalidURL)
        }
    }

    @Test("a wrong password gives a clear .notAuthorized error", arguments: [MQTTProtocolVersion.v5, .v311])
    func wrongPassword(version: MQTTProtocolVersion) async throws {
        try await TestBroker.run { broker in
            let client = try TestBroker.client(broker, user: "alice", version: version, password: "wrong")
            do {
                try await client.connect()
                Issue.record("connect() succeeded with a wrong password")
            } catch let error as MQTTError {
                #expect(error.code == .notAuthorized)
                #expect(error.message.lowercased().contains("not author") || error.message.lowercased().contains("password"),
                        "message: \(error.message)")
                #expect(error.reasonCode != nil)
            }
            await client.disconnect()
        }
    }

    @Test("nothing listening gives .connectionRefused, and connect() can be retried")
    func nothingListening() async throws {
        let port = try await TestBroker.run { broker in broker.port }  // stopped again: nothing listens
        var configuration = try MQTTConfiguration(url: "mqtt://127.0.0.1:\(port)", clientID: "nobody")
        configuration.username = "alice"
        let client = MQTTClient(configuration: configuration)
        for _ in 0..<2 {
            await #expect(throws: MQTTError.self) { try await client.connect() }
            do {
                try await client.connect()
            } catch {
                #expect(error.code == .connectionRefused)
            }
        }
        await client.disconnect()
    }

    @Test("connect, disconnect: events, statistics and ended sequences")
    func connectAndDisconnect() async throws {
        try await TestBroker.run { broker in
            let client = try TestBroker.client(broker, user: "tester")
            let events = EventLog(client)
            try await client.connect()
            try await client.connect()  // connected already: nothing happens
            try await waitUntil("the connected event") { events.all == [.connected(sessionPresent: false)] }
            await client.disconnect()
            var iterator = client.messages.makeAsyncIterator()
            #expect(await iterator.next() == nil)
            await #expect(throws: MQTTError.self) { try await client.publish(MQTTMessage(topic: "test/x")) }
            await client.disconnect()  // twice is fine
        }
    }
}

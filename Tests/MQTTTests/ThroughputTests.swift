import LocalBroker
import MQTT
import Testing

@Suite("Throughput", .serialized, .timeLimit(.minutes(5)))
struct ThroughputTests {
    @Test("100,000 QoS 1 messages arrive complete and in order")
    func hundredThousandInOrder() async throws {
        try await TestBroker.run { broker in
            let count = 100_000
            let subscriber = try await TestBroker.connected(broker, user: "tester")
            _ = try await subscriber.subscribe(["test/stream"], qos: .atLeastOnce)
            let consumer = Task { () -> (received: Int, outOfOrder: Int) in
                var expected: UInt32 = 0
                var outOfOrder = 0
                var received = 0
                for await message in subscriber.messages {
                    let value = message.payload.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    if value != expected { outOfOrder += 1 }
                    expected = value &+ 1
                    received += 1
                    if received == count { break }
                }
                return (received, outOfOrder)
            }
            let publisher = try await TestBroker.connected(broker, user: "tester")
            var payload = [UInt8](repeating: 0x2a, count: 64)
            for index in 0..<count {
                let value = UInt32(index)
                payload[0] = UInt8(value >> 24)
                payload[1] = UInt8(value >> 16 & 0xff)
                payload[2] = UInt8(value >> 8 & 0xff)
                payload[3] = UInt8(value & 0xff)
                try await publisher.publish(MQTTMessage(topic: "test/stream", payload: payload, qos: .atLeastOnce))
            }
            await publisher.waitForPublishes()
            try await waitUntil(timeout: .seconds(120), "\(count) messages received") {
                subscriber.statistics.received >= count
            }
            let result = await consumer.value
            #expect(result.received == count)
            #expect(result.outOfOrder == 0)
            #expect(subscriber.statistics.received == count)
            await publisher.disconnect()
            await subscriber.disconnect()
        }
    }
}

import LocalBroker
import MQTT
import Synchronization
import Testing

@Suite("The inbox: one bounded, ordered hand-off", .serialized, .timeLimit(.minutes(3)))
struct InboxTests {
    @Test("a full inbox stalls the network thread instead of dropping: every message arrives, in order")
    func boundedWithoutLoss() async throws {
        try await TestBroker.run { broker in
            let subscriber = try TestBroker.client(broker, user: "tester") { $0.receiveBufferLimit = 16 }
            try await subscriber.connect()
            _ = try await subscriber.subscribe(["test/bound"], qos: .atLeastOnce)
            let publisher = try await TestBroker.connected(broker, user: "tester")
            let count = 2_000
            for index in 0..<count {
                try await publisher.publish(MQTTMessage(topic: "test/bound", payload: bytes("\(index)"), qos: .atLeastOnce))
            }
            try await publisher.publish(MQTTMessage(topic: "test/bound", payload: bytes("end"), qos: .atLeastOnce))
            // Nothing is taken until the broker has sent far more than the bound.
            try await waitUntil("the network thread stalls on the full inbox") { subscriber.statistics.receiveStalls > 0 }
            #expect(subscriber.statistics.buffered <= 16)

            let inbox = subscriber.inbox
            var received: [String] = []
            var batch: [MQTTInbound] = []
            while received.last != "end" {
                await inbox.take(into: &batch, timeout: .seconds(30))
                #expect(!batch.isEmpty, "a batch within 30 s")
                if batch.isEmpty { break }
                #expect(batch.count <= 16)
                for case .message(let message) in batch { received.append(String(decoding: message.payload, as: UTF8.self)) }
            }
            #expect(received == (0..<count).map(String.init) + ["end"])
            #expect(subscriber.statistics.bufferHighWater == 16)
            await publisher.disconnect()
            await subscriber.disconnect()
        }
    }

    @Test("messages and connection events come in one order, and the first event comes first")
    func eventsInOrder() async throws {
        try await TestBroker.run { broker in
            let client = try TestBroker.client(broker, user: "tester")
            try await client.connect()
            _ = try await client.subscribe(["test/order"], qos: .atLeastOnce)
            try await client.publish(MQTTMessage(topic: "test/order", payload: bytes("one"), qos: .atLeastOnce))
            var seen: [String] = []
            var batch: [MQTTInbound] = []
            let inbox = client.inbox
            while seen.count < 2 {
                await inbox.take(into: &batch, timeout: .seconds(30))
                if batch.isEmpty { break }
                for inbound in batch {
                    switch inbound {
                    case .connection(.connected): seen.append("connected")
                    case .connection(.disconnected): seen.append("disconnected")
                    case .connection(.attemptFailed): seen.append("attempt failed")
                    case .message(let message): seen.append(String(decoding: message.payload, as: UTF8.self))
                    }
                }
            }
            #expect(seen == ["connected", "one"])
            await client.disconnect()
            await inbox.take(into: &batch, timeout: .seconds(30))
            guard case .connection(.disconnected)? = batch.first else {
                Issue.record("expected the last event, got \(batch)")
                return
            }
            await inbox.take(into: &batch)
            #expect(batch.isEmpty && inbox.isFinished)
        }
    }

    @Test("a wait ends at its timeout, on wake() and on cancellation, with nothing taken")
    func waitsEnd() async throws {
        try await TestBroker.run { broker in
            let client = try await TestBroker.connected(broker, user: "tester")
            let inbox = client.inbox
            var batch: [MQTTInbound] = []
            await inbox.take(into: &batch)  // the `.connected` event
            #expect(batch.count == 1)

            let start = ContinuousClock.now
            await inbox.take(into: &batch, timeout: .milliseconds(50))
            #expect(batch.isEmpty)
            #expect(ContinuousClock.now - start >= .milliseconds(50))

            // A wake that comes while nobody waits ends the next wait at once.
            inbox.wake()
            await inbox.take(into: &batch, timeout: .seconds(60))
            #expect(batch.isEmpty)

            let woken = Task {
                var batch: [MQTTInbound] = []
                await inbox.take(into: &batch, timeout: .seconds(60))
                return batch.count
            }
            try await waitUntil("the waiter parks") { client.statistics.buffered == 0 }
            inbox.wake()
            #expect(await woken.value == 0)

            let cancelled = Task {
                var batch: [MQTTInbound] = []
                await inbox.take(into: &batch)
                return batch.count
            }
            cancelled.cancel()
            #expect(await cancelled.value == 0)
            #expect(!inbox.isFinished)
            await client.disconnect()
        }
    }
}

@Suite("The first connection", .serialized, .timeLimit(.minutes(3)))
struct FirstConnectionTests {
    @Test("with retriesFirstConnection, connect() waits for a broker that starts later")
    func waitsForTheBroker() async throws {
        try await TestBroker.run { broker in
            await broker.stopProcess()
            let client = try TestBroker.client(broker, user: "tester") {
                $0.reconnect.retriesFirstConnection = true
                $0.reconnect.maximumDelay = .milliseconds(200)
            }
            let connecting = Task { try await client.connect() }
            try await broker.restart()
            try await connecting.value
            _ = try await client.subscribe(["test/late"])
            await client.disconnect()
        }
    }

    @Test("a refused login fails at once even when retrying, and cancelling ends the wait")
    func permanentAndCancelled() async throws {
        try await TestBroker.run { broker in
            let refused = try TestBroker.client(broker, user: "tester", password: "wrong") { $0.reconnect.retriesFirstConnection = true }
            await #expect(throws: MQTTError.self) { try await refused.connect() }
            do {
                try await refused.connect()
            } catch let error as MQTTError {
                #expect(error.code == .notAuthorized && error.isPermanent)
            }

            await broker.stopProcess()
            let waiting = try TestBroker.client(broker, user: "tester") { $0.reconnect.retriesFirstConnection = true }
            let connecting = Task { try await waiting.connect() }
            connecting.cancel()
            await #expect(throws: MQTTError.self) { try await connecting.value }
        }
    }
}

@Suite("Waits a cancellation ends", .timeLimit(.minutes(2)))
struct CancellableWaitTests {
    @Test("a publish waiting for an in-flight slot, and waitForPublishes, end when their task is cancelled")
    func publishAndDrain() async throws {
        let broker = try SilentBroker()
        var configuration = try MQTTConfiguration(url: "mqtt://127.0.0.1:\(broker.port)", clientID: "silent")
        configuration.maxInflightPublishes = 1
        let client = MQTTClient(configuration: configuration)
        try await client.connect()
        // The broker never acknowledges: the first publish holds the only slot for good.
        try await client.publish(MQTTMessage(topic: "test/1", payload: bytes("1"), qos: .atLeastOnce))
        let waiting = Task { try await client.publish(MQTTMessage(topic: "test/2", payload: bytes("2"), qos: .atLeastOnce)) }
        waiting.cancel()
        do {
            try await waiting.value
            Issue.record("the publish went out without a slot")
        } catch let error as MQTTError {
            #expect(error.code == .cancelled)
        }
        let draining = Task { await client.waitForPublishes() }
        draining.cancel()
        await draining.value
        await client.abortConnection()
    }
}

@Suite("Stopping a client that waits for its broker", .serialized, .timeLimit(.minutes(2)))
struct StopWhileConnectingTests {
    @Test("disconnect() between the attempts of a retrying first connect() ends that connect()")
    func stopBetweenAttempts() async throws {
        try await TestBroker.run { broker in
            await broker.stopProcess()
            let client = try TestBroker.client(broker, user: "tester") { $0.reconnect.retriesFirstConnection = true }
            let connecting = Task { try await client.connect() }
            var events = client.connectionEvents.makeAsyncIterator()
            guard case .attemptFailed? = await events.next() else {
                Issue.record("expected a failed attempt first")
                return
            }
            await client.disconnect()
            do {
                try await connecting.value
                Issue.record("connect() succeeded without a broker")
            } catch let error as MQTTError {
                #expect(error.code == .cancelled)
            }
        }
    }
}

@Suite("The inbox bounded in bytes", .serialized, .timeLimit(.minutes(3)))
struct InboxByteBoundTests {
    @Test("large payloads stall the network thread at the byte bound, well before the message bound: every message arrives, in order")
    func boundedInBytes() async throws {
        try await TestBroker.run { broker in
            let limit = 64 * 1024
            let subscriber = try TestBroker.client(broker, user: "tester") {
                $0.receiveBufferLimit = 10_000
                $0.receiveBufferByteLimit = limit
            }
            try await subscriber.connect()
            _ = try await subscriber.subscribe(["test/heavy"], qos: .atLeastOnce)
            let publisher = try await TestBroker.connected(broker, user: "tester")
            let count = 200
            let filler = [UInt8](repeating: UInt8(ascii: "x"), count: 8 * 1024)
            for index in 0..<count {
                try await publisher.publish(MQTTMessage(topic: "test/heavy", payload: bytes("\(index):") + filler, qos: .atLeastOnce))
            }
            try await publisher.publish(MQTTMessage(topic: "test/heavy", payload: bytes("end"), qos: .atLeastOnce))
            // Nothing is taken until the broker has sent far more than the byte bound.
            try await waitUntil("the network thread stalls on the inbox's bytes") { subscriber.statistics.receiveStalls > 0 }
            // 8 KiB and a little per message: at most 8 wait, far fewer than the 10,000 allowed.
            #expect(subscriber.statistics.buffered <= limit / filler.count)

            let inbox = subscriber.inbox
            var received: [String] = []
            var batch: [MQTTInbound] = []
            while received.last != "end" {
                await inbox.take(into: &batch, timeout: .seconds(30))
                #expect(!batch.isEmpty, "a batch within 30 s")
                if batch.isEmpty { break }
                for case .message(let message) in batch {
                    let text = String(decoding: message.payload, as: UTF8.self)
                    received.append(String(text.prefix { $0 != ":" }))
                }
            }
            #expect(received == (0..<count).map(String.init) + ["end"])
            #expect(subscriber.statistics.bufferHighWater <= limit / filler.count)
            await publisher.disconnect()
            await subscriber.disconnect()
        }
    }
}

import Foundation
import LocalBroker
import MQTT
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Child processes and the local broker", .serialized, .timeLimit(.minutes(3)))
struct ChildProcessTests {
    @Test("mosquitto_sub started from an async test stops on terminate(), even with SIGTERM blocked here")
    func subscriberStopsOnTerminate() async throws {
        try await TestBroker.run { broker in
            // Block SIGTERM in this thread, as a test runner's thread may: the child must not inherit it.
            var blocked = sigset_t()
            var previous = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &blocked, &previous)
            let spawned = Result {
                try ChildProcess.spawn("mosquitto_sub", [
                    "-h", "127.0.0.1", "-p", "\(broker.port)", "-u", "tester", "-P", "tester-pw",
                    "-t", "test/sub", "-v",
                ])
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            let sub = try spawned.get()

            let publisher = try await TestBroker.connected(broker, user: "tester")
            try await waitUntil("mosquitto_sub receives") {
                try await publisher.publish(MQTTMessage(topic: "test/sub", payload: bytes("hello"), qos: .atLeastOnce))
                return sub.outputLines.contains("test/sub hello")
            }
            let start = ContinuousClock.now
            let status = await sub.terminate(grace: .seconds(20))
            #expect(ContinuousClock.now - start < .seconds(10), "SIGTERM must stop it, not the SIGKILL after the grace")
            #expect(status != 128 + SIGKILL)
            #expect(sub.exitStatus == status)
            await publisher.disconnect()
        }
    }

    @Test("withLocalBroker stops the broker and removes its folder when the body throws")
    func brokerStoppedOnThrow() async throws {
        struct Expected: Error {}
        let seen = Locked<(port: Int, folder: String)?>(nil)
        await #expect(throws: Expected.self) {
            try await TestBroker.run { broker in
                seen.withLock { $0 = (broker.port, broker.folder) }
                throw Expected()
            }
        }
        let (port, folder) = try #require(seen.withLock { $0 })
        #expect(!FileManager.default.fileExists(atPath: folder))
        let client = try MQTTClient(configuration: MQTTConfiguration(url: "mqtt://127.0.0.1:\(port)", clientID: "probe"))
        await #expect(throws: MQTTError.self) { try await client.connect() }
        await client.disconnect()
    }

    @Test("waitUntil throws a clear error at the deadline")
    func waitUntilDeadline() async throws {
        do {
            try await waitUntil(timeout: .milliseconds(50), "something that never happens") { false }
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("something that never happens"))
        }
    }
}

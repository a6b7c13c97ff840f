import Foundation
import LocalBroker
import MQTT
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Child processes and the local broker", .serialized, .timeLimit(.minutes(3)))
struct ChildProcessTests {
    /// Runs `body` with SIGTERM and SIGUSR1 ignored in this whole process, as a signal-handling
    /// library (swift-service-lifecycle) leaves them: an ignored signal stays ignored across exec
    /// unless the spawn resets it.
    private func withSignalsIgnored<T>(_ body: () async throws -> T) async rethrows -> T {
        let previousTerm = signal(SIGTERM, SIG_IGN)
        let previousUser = signal(SIGUSR1, SIG_IGN)
        defer {
            signal(SIGTERM, previousTerm)
            signal(SIGUSR1, previousUser)
        }
        return try await body()
    }

    /// A hexadecimal signal set of /proc/PID/status (`SigBlk`, `SigIgn`).
    private func signalSet(_ field: String, of pid: Int32) throws -> UInt64 {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix(field + ":") })
        return try #require(UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16))
    }

    @Test("a child starts with no signal blocked or ignored, even when this process ignores SIGTERM and SIGUSR1")
    func childSignalsAreReset() async throws {
        let child = try await withSignalsIgnored { try await ChildProcess.spawn("sleep", ["30"]) }
        // The standard signals 1-31. (swift-subprocess leaves real-time signals as this process
        // has them: the Swift test runner ignores 33 and 34, and so does the child.)
        let standard: UInt64 = 0x7fff_ffff
        #expect(try signalSet("SigIgn", of: child.pid) & standard == 0)
        #expect(try signalSet("SigBlk", of: child.pid) & standard == 0)
        // SIGUSR1 at its default disposition ends the process.
        child.send(signal: SIGUSR1)
        #expect(try await child.waitForExit(timeout: .seconds(10)) == 128 + SIGUSR1)
    }

    @Test("mosquitto_sub stops on terminate() by SIGTERM, even when this process ignores SIGTERM")
    func subscriberStopsOnTerminate() async throws {
        try await TestBroker.run { broker in
            let sub = try await withSignalsIgnored {
                try await ChildProcess.spawn("mosquitto_sub", [
                    "-h", "127.0.0.1", "-p", "\(broker.port)", "-u", "tester", "-P", "tester-pw",
                    "-t", "test/sub", "-v",
                ])
            }
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

    @Test("the broker saves on SIGUSR1 and exits on SIGTERM, not by the SIGKILL after its grace")
    func brokerSignals() async throws {
        try await TestBroker.run { broker in
            try await broker.save(timeout: .seconds(10))
            let start = ContinuousClock.now
            await broker.stopProcess()
            #expect(ContinuousClock.now - start < .seconds(10))
            #expect(broker.log().contains("terminating"), "mosquitto logs its SIGTERM shutdown")
        }
    }

    @Test("kill() ends a child with SIGKILL; waitForExit throws at its deadline while the child runs")
    func killAndDeadline() async throws {
        let child = try await ChildProcess.spawn("sleep", ["30"])
        await #expect(throws: ChildProcessError.self) { try await child.waitForExit(timeout: .milliseconds(100)) }
        #expect(child.exitStatus == nil)
        await child.kill()
        #expect(child.exitStatus == 128 + SIGKILL)
        #expect(try await child.waitForExit(timeout: .seconds(1)) == 128 + SIGKILL)
    }

    @Test("a wait for a running child ends at once when its task is cancelled")
    func waitIsCancellable() async throws {
        let child = try await ChildProcess.spawn("sleep", ["30"])
        let waiter = Task { try await child.waitForExit(timeout: .seconds(60)) }
        let lineWaiter = Task { try await child.waitForLine(containing: "never", timeout: .seconds(60)) }
        let start = ContinuousClock.now
        waiter.cancel()
        lineWaiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await #expect(throws: CancellationError.self) { try await lineWaiter.value }
        #expect(ContinuousClock.now - start < .seconds(5))
        await child.kill()
    }

    @Test("children being waited for leave the cooperative pool free")
    func waitsHoldNoThread() async throws {
        var children: [ChildProcess] = []
        for _ in 0..<8 { children.append(try await ChildProcess.spawn("sleep", ["30"])) }
        let waiters = children.map { child in Task { try? await child.waitForExit(timeout: .seconds(60)) } }
        // With eight waits each holding a pool thread (2 on this machine), this task could not run.
        let start = ContinuousClock.now
        let answer = await Task.detached { 42 }.value
        #expect(answer == 42)
        #expect(ContinuousClock.now - start < .seconds(2))
        for child in children { await child.kill() }
        for waiter in waiters { #expect(await waiter.value == 128 + SIGKILL) }
    }

    @Test("lines written to stdin come back on stdout; closing stdin ends cat with 0")
    func standardInputAndOutput() async throws {
        let cat = try await ChildProcess.spawn("cat", [])
        cat.writeLine("hello")
        cat.writeLine("world")
        _ = try await cat.waitForLine(containing: "world", timeout: .seconds(10))
        #expect(cat.outputLines == ["hello", "world"])
        cat.closeInput()
        #expect(try await cat.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test("a handle released while its child runs kills the child")
    func releasedHandleKills() async throws {
        var child: ChildProcess? = try await ChildProcess.spawn("sleep", ["30"])
        let pid = try #require(child?.pid)
        child = nil
        // Gone once reaped: kill(pid, 0) then fails with ESRCH (a zombie would still answer).
        try await waitUntil("the released child is killed and reaped") { kill(pid, 0) != 0 && errno == ESRCH }
    }

    @Test("a missing executable fails at spawn with a clear error")
    func missingExecutable() async throws {
        await #expect(throws: ChildProcessError.self) { try await ChildProcess.spawn("/nonexistent/presence-nothing", []) }
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

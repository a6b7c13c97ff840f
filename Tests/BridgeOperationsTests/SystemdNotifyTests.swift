import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// systemd's notify protocol, spoken by a real `presence-bridge run` to a test's own datagram
/// socket (`NOTIFY_SOCKET`), as systemd would receive it for a `Type=notify` unit.
@Suite("systemd notify", .serialized, .timeLimit(.minutes(3)))
struct SystemdNotifyTests {
    @Test("READY=1 only once live, STATUS= on the way, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1 at SIGTERM")
    func notifyProtocol() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            await fixture.broker.stopProcess()
            let notify = try NotifySocket()
            defer { notify.stop() }
            let process = try await BridgeProcess.start(fixture, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"])
            fixture.onTearDown { await process.terminate(grace: .seconds(20)) }

            // The sentinel: the notifier works (a status, watchdog pings) while the broker is
            // away, and READY=1 is not among what came.
            try await waitUntil(timeout: .seconds(20), "STATUS=not connected and three watchdog pings") {
                !notify.datagrams(with: "STATUS=not connected to the broker").isEmpty && notify.datagrams(with: "WATCHDOG=1").count >= 3
            }
            #expect(notify.datagrams(with: "READY=1").isEmpty, "not ready without a broker")

            try await fixture.broker.restart()
            try await waitUntil(timeout: .seconds(30), "READY=1") { !notify.datagrams(with: "READY=1").isEmpty }
            let ready = try #require(notify.datagrams(with: "READY=1").first)
            #expect(ready.text.contains("STATUS=live"), "sent in the state that is live: \(ready.text)")
            try await waitUntil(timeout: .seconds(10), "the log line live") {
                process.errorLines.contains { $0.contains("presence-bridge: [PresenceBridge] live\t") }
            }

            // The watchdog's rate, over the pings after READY=1.
            try await waitUntil(timeout: .seconds(20), "ten watchdog pings after READY=1") {
                notify.datagrams(with: "WATCHDOG=1").filter { $0.at > ready.at }.count >= 10
            }
            let pings = notify.datagrams(with: "WATCHDOG=1").filter { $0.at > ready.at }.map(\.at)
            let intervals = zip(pings.dropFirst(), pings).map { ($0 - $1) / .milliseconds(1) }.sorted()
            let median = intervals[intervals.count / 2]
            #expect(median >= 90 && median < 200, "half of WATCHDOG_USEC (100 ms), never as long as it: \(intervals)")

            process.send(signal: SIGTERM)
            #expect(try await process.waitForExit(timeout: .seconds(30)) == 0)
            try await waitUntil(timeout: .seconds(5), "STOPPING=1") { !notify.datagrams(with: "STOPPING=1").isEmpty }
            let stopping = try #require(notify.datagrams(with: "STOPPING=1").first)
            #expect(stopping.at > ready.at)
            #expect(notify.datagrams(with: "READY=1").count == 1, "READY=1 once")
        }
    }

    @Test("the broker password from systemd's credential: $CREDENTIALS_DIRECTORY/password, with no other password given")
    func passwordFromCredential() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            let credentials = fixture.configuration.dataDirectory + "-credentials"
            try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: credentials) }
            try "pw-bridge\n".write(toFile: credentials + "/password", atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PRESENCE_") }
            environment["CREDENTIALS_DIRECTORY"] = credentials
            let process = try await ChildProcess.spawn(BridgeProcess.executable, [
                "run", "--broker", fixture.broker.url, "--data-dir", fixture.configuration.dataDirectory,
            ], environment: environment)
            fixture.onTearDown { await process.terminate(grace: .seconds(20)) }
            try await BridgeProcess.waitUntilOnline(fixture)
            #expect(!process.errorLines.contains { $0.contains("pw-bridge") })
        }
    }
}

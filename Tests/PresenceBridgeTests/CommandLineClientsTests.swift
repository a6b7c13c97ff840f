import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

/// The README's walkthrough, driven with `mosquitto_pub` and `mosquitto_sub` processes exactly as shown there.
@Suite("The README walkthrough with mosquitto_pub and mosquitto_sub")
struct CommandLineClientsTests {
    private func pub(_ fixture: BridgeFixture, _ user: String, _ arguments: [String]) async throws {
        let process = try await ChildProcess.spawn("/usr/bin/mosquitto_pub",
            ["-h", "127.0.0.1", "-p", String(fixture.broker.port), "-u", user, "-P", "pw-\(user)"] + arguments)
        let status = try await process.waitForExit(timeout: .seconds(10))
        #expect(status == 0, "mosquitto_pub \(arguments) exited \(status)")
    }

    @Test("a device held by mosquitto_sub with a will, a viewer on mosquitto_sub, settings changed with mosquitto_pub")
    func walkthrough() async throws {
        try await BridgeFixture.run(configure: { $0.offlineGrace = 0.2 }) { fixture in
            let port = String(fixture.broker.port)
            try await pub(fixture, "alice", ["-t", "presence/v1/in/alice/contacts", "-r", "-q", "1", "-m", #"["bob"]"#])
            try await pub(fixture, "bob", ["-t", "presence/v1/in/bob/contacts", "-r", "-q", "1", "-m", #"["alice"]"#])
            let viewer = try await ChildProcess.spawn("/usr/bin/mosquitto_sub", [
                "-h", "127.0.0.1", "-p", port, "-u", "bob", "-P", "pw-bob", "-t", "presence/v1/out/bob/+", "-v",
            ])
            defer { Task { _ = await viewer.terminate() } }
            // The device: a connection that only holds the will (kill -9 lets the broker speak for it).
            let device = try await ChildProcess.spawn("/usr/bin/mosquitto_sub", [
                "-h", "127.0.0.1", "-p", port, "-u", "alice", "-P", "pw-alice", "-i", "alice-phone",
                "--will-topic", "presence/v1/in/alice/phone/state", "--will-retain", "--will-qos", "1",
                "--will-payload", #"{"status":"offline","session":"s1","reason":"lost"}"#,
                "-t", "presence/v1/err/alice",
            ])
            defer { Task { _ = await device.terminate() } }
            try await pub(fixture, "alice", ["-t", "presence/v1/in/alice/phone/state", "-r", "-q", "1",
                                             "-m", #"{"status":"online","session":"s1","platform":"mobile"}"#])
            _ = try await viewer.waitForLine(containing: #"presence/v1/out/bob/alice {"user":"alice","status":"online","devices":[{"id":"phone","platform":"mobile","status":"online"}]}"#, timeout: .seconds(10))

            try await pub(fixture, "alice", ["-t", "presence/v1/in/alice/phone/activity", "-m", #"{"type":"typing","conversationId":"c1"}"#])
            _ = try await viewer.waitForLine(containing: #""activity":{"type":"typing","conversationId":"c1"}"#, timeout: .seconds(10))

            try await pub(fixture, "alice", ["-t", "presence/v1/in/alice/settings", "-r", "-q", "1", "-m", #"{"showOnlineStatus":"nobody","showActivity":"nobody","showLastSeen":"nobody"}"#])
            _ = try await viewer.waitForLine(containing: #"presence/v1/out/bob/alice {"user":"alice"}"#, timeout: .seconds(10))

            try await pub(fixture, "alice", ["-t", "presence/v1/in/alice/settings", "-r", "-q", "1", "-m", #"{"showOnlineStatus":"everyone","showLastSeen":"contacts"}"#])
            await device.kill()
            let line = try await viewer.waitForLine(containing: #"out/bob/alice {"user":"alice","status":"offline","lastSeen""#, timeout: .seconds(10))
            #expect(line.contains(#""lastSeen":""#))
        }
    }
}

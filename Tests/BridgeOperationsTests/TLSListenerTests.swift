import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

/// The shipped TLS listener (deploy/mosquitto-tls.conf) with certificates from the shipped
/// script (scripts/make-tls-certificates.sh), on a free loopback port instead of 8883.
@Suite("The shipped TLS listener", .serialized, .timeLimit(.minutes(3)))
struct TLSListenerTests {
    /// The certificates' folder, the TLS port, and the shipped listener config pointed at both.
    private func shippedTLS() async throws -> (folder: String, port: Int, config: String) {
        let root = try repositoryRoot()
        let folder = FileManager.default.temporaryDirectory.path + "/presence-tls-" + UUID().uuidString.prefix(8)
        let script = try await ChildProcess.spawn(root + "/scripts/make-tls-certificates.sh", [folder, "localhost", "127.0.0.1"])
        let status = try await script.waitForExit(timeout: .seconds(120))
        try #require(status == 0, "\(script.errorLines)")
        let port = try LocalBroker.freePort()
        let shipped = try String(contentsOfFile: root + "/deploy/mosquitto-tls.conf", encoding: .utf8)
        #expect(shipped.contains("\nlistener 8883\n"))
        let config = shipped
            .replacingOccurrences(of: "\nlistener 8883\n", with: "\nlistener \(port) 127.0.0.1\n")
            .replacingOccurrences(of: "data/tls/", with: folder + "/")
        return (folder, port, config)
    }

    @Test("the bridge over mqtts://; a device over mqtts:// with the CA reaches a viewer through it; plaintext to the TLS port fails")
    func endToEnd() async throws {
        let tls = try await shippedTLS()
        defer { try? FileManager.default.removeItem(atPath: tls.folder) }
        try await BridgeFixture.run(configure: {
            $0.brokerURL = "mqtts://127.0.0.1:\(tls.port)"
            $0.caFile = tls.folder + "/ca.crt"
        }, brokerConfig: tls.config) { fixture in
            #expect(fixture.service?.isLive == true, "live over TLS")
            let bob = try await fixture.bobWatchesAlice()

            // alice's device: mosquitto_pub over TLS, as the README shows it.
            let device = try await ChildProcess.spawn("mosquitto_pub", [
                "-h", "127.0.0.1", "-p", "\(tls.port)", "--cafile", tls.folder + "/ca.crt", "-u", "alice", "-P", "pw-alice",
                "-t", "presence/v1/in/alice/phone/state", "-r", "-q", "1", "-m", #"{"status":"online","session":"tls1","platform":"mobile"}"#,
            ])
            #expect(try await device.waitForExit(timeout: .seconds(30)) == 0, "\(device.errorLines)")
            try await bob.waitFor("alice", "alice online, sent over TLS") { $0.status == "online" }

            // A client that speaks plain MQTT to the TLS port gets nowhere.
            let plain = try await ChildProcess.spawn("mosquitto_pub", [
                "-h", "127.0.0.1", "-p", "\(tls.port)", "-u", "alice", "-P", "pw-alice",
                "-t", "presence/v1/in/alice/phone/state", "-r", "-q", "1", "-m", #"{"status":"away","session":"tls1"}"#,
            ])
            #expect(try await plain.waitForExit(timeout: .seconds(30)) != 0)
            var configuration = try MQTTConfiguration(url: "mqtt://127.0.0.1:\(tls.port)", clientID: "plaintext-to-tls")
            configuration.username = "alice"
            configuration.password = "pw-alice"
            configuration.reconnect.enabled = false
            let client = MQTTClient(configuration: configuration)
            await #expect(throws: MQTTError.self) { try await client.connect() }
            await client.disconnect()

            // The sentinel: a change after the refused one arrives, and the refused one never did.
            let sentinel = try await fixture.client("alice")
            try await fixture.send(sentinel, "alice/phone/state", #"{"status":"online","session":"tls1","platform":"sentinel"}"#)
            try await bob.waitFor("alice", "the sentinel") { view in
                (view["devices"] as? [[String: Any]])?.first?["platform"] as? String == "sentinel"
            }
            #expect(!bob.views("alice").contains { $0.status == "away" }, "the plaintext publish never got through")
        }
    }
}

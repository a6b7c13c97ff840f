import Foundation
import LocalBroker
import MQTT
import Testing

@Suite("TLS", .serialized, .timeLimit(.minutes(3)))
struct TLSTests {
    /// A throwaway CA and a server certificate for 127.0.0.1, made with openssl.
    private func makeCertificates() async throws -> String {
        let folder = FileManager.default.temporaryDirectory.path + "/presence-tls-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: folder + "/san.cnf", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=presence-test-ca"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.crt", "-days", "1", "-extfile", "san.cnf"],
        ]
        for step in steps {
            let openssl = try await ChildProcess.spawn("openssl", step.map { ["ca.key", "ca.crt", "server.key", "server.csr", "server.crt", "san.cnf"].contains($0) ? folder + "/" + $0 : $0 })
            let status = try await openssl.waitForExit(timeout: .seconds(60))
            try #require(status == 0, "openssl \(step.first ?? ""): \(openssl.errorLines)")
        }
        // The broker runs as the user mosquitto when started as root: let it read the files.
        chmod(folder, 0o755)
        for file in ["ca.crt", "server.crt", "server.key"] { chmod(folder + "/" + file, 0o644) }
        return folder
    }

    @Test("mqtts:// with a CA file connects, publishes and receives over TLS; an unknown CA is refused")
    func tlsRoundTrip() async throws {
        let certificates = try await makeCertificates()
        defer { try? FileManager.default.removeItem(atPath: certificates) }
        let tlsPort = try LocalBroker.freePort()
        let extra = """
            listener \(tlsPort) 127.0.0.1
            cafile \(certificates)/ca.crt
            certfile \(certificates)/server.crt
            keyfile \(certificates)/server.key
            """
        try await TestBroker.run(extraConfig: extra) { broker in
            try await waitUntil("the TLS listener") {
                (try? await probe(port: tlsPort)) == true
            }
            var configuration = try MQTTConfiguration(url: "mqtts://127.0.0.1:\(tlsPort)", clientID: "tls-client")
            configuration.tls = MQTTTLSConfiguration(caFile: certificates + "/ca.crt")
            configuration.username = "tester"
            configuration.password = TestBroker.users["tester"]
            let client = MQTTClient(configuration: configuration)
            try await client.connect()
            let inbox = Inbox(client)
            _ = try await client.subscribe(["test/tls"])
            try await client.publish(MQTTMessage(topic: "test/tls", payload: bytes("secret"), qos: .atLeastOnce))
            #expect(try await inbox.first(on: "test/tls").payload == bytes("secret"))
            await client.disconnect()

            var untrusted = try MQTTConfiguration(url: "mqtts://127.0.0.1:\(tlsPort)", clientID: "tls-untrusted")
            untrusted.username = "tester"
            untrusted.password = TestBroker.users["tester"]
            let refused = MQTTClient(configuration: untrusted)
            await #expect(throws: MQTTError.self) { try await refused.connect() }
            await refused.disconnect()
        }
    }

    /// true once something accepts TCP connections on the port.
    private func probe(port: Int) async throws -> Bool {
        var configuration = try MQTTConfiguration(url: "mqtt://127.0.0.1:\(port)", clientID: "probe")
        configuration.reconnect.enabled = false
        let client = MQTTClient(configuration: configuration)
        defer { Task { await client.disconnect() } }
        do {
            try await client.connect()
            return true
        } catch {
            return error.code != .connectionRefused
        }
    }
}

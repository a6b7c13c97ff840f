import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

/// The shipped set-up: scripts/install.sh into a staging root, and the units it installs
/// checked by systemd's own tools.
@Suite("Deploying: install.sh and the systemd units", .serialized, .timeLimit(.minutes(3)))
struct DeployTests {
    private func run(_ command: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> ChildProcess {
        let process = try await ChildProcess.spawn(command, arguments,
                                             environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        _ = try await process.waitForExit(timeout: .seconds(120))
        return process
    }

    @Test("install.sh puts the binary, the units, the broker's config and the bridge's credential in place, and keeps the password on a second run")
    func installIntoStagingRoot() async throws {
        let root = try repositoryRoot()
        let stage = FileManager.default.temporaryDirectory.path + "/presence-install-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let environment = ["DESTDIR": stage, "PRESENCE_BINARY": BridgeProcess.executable]
        let first = try await run(root + "/scripts/install.sh", [], environment: environment)
        try #require(first.exitStatus == 0, "\(first.errorLines)")
        for path in ["/usr/local/bin/presence-bridge", "/etc/systemd/system/presence-bridge.service",
                     "/etc/systemd/system/mosquitto.service.d/presence-bridge.conf", "/etc/presence-bridge/mosquitto.conf",
                     "/etc/presence-bridge/mosquitto.acl", "/etc/presence-bridge/broker/mosquitto.passwd",
                     "/etc/presence-bridge/bridge-password", "/usr/local/share/doc/presence-bridge/LICENSE"] {
            #expect(FileManager.default.fileExists(atPath: stage + path), "\(path)")
        }
        let password = try String(contentsOfFile: stage + "/etc/presence-bridge/bridge-password", encoding: .utf8)
        #expect(password.count >= 20)
        let mode = try FileManager.default.attributesOfItem(atPath: stage + "/etc/presence-bridge/bridge-password")[.posixPermissions] as? Int
        #expect(mode == 0o600, "the credential is root's alone")
        let config = try String(contentsOfFile: stage + "/etc/presence-bridge/mosquitto.conf", encoding: .utf8)
        #expect(config.contains("password_file /etc/presence-bridge/broker/mosquitto.passwd"))
        #expect(config.contains("acl_file /etc/presence-bridge/mosquitto.acl"))
        #expect(!config.contains("listener 8883"), "no TLS listener without a certificate")
        let accounts = try String(contentsOfFile: stage + "/etc/presence-bridge/broker/mosquitto.passwd", encoding: .utf8)
        #expect(accounts.hasPrefix("presence-bridge:$"), "hashed")
        #expect(!accounts.contains(password.trimmingCharacters(in: .whitespacesAndNewlines)))

        // A certificate in place turns the TLS listener on; the password stays.
        let tls = try await run(root + "/scripts/make-tls-certificates.sh", [stage + "/etc/presence-bridge/tls", "localhost"])
        try #require(tls.exitStatus == 0, "\(tls.errorLines)")
        let second = try await run(root + "/scripts/install.sh", [], environment: environment)
        try #require(second.exitStatus == 0, "\(second.errorLines)")
        let withTLS = try String(contentsOfFile: stage + "/etc/presence-bridge/mosquitto.conf", encoding: .utf8)
        #expect(withTLS.contains("listener 8883"))
        #expect(withTLS.contains("certfile /etc/presence-bridge/tls/server.crt"))
        #expect(try String(contentsOfFile: stage + "/etc/presence-bridge/bridge-password", encoding: .utf8) == password)
    }

    @Test("the units pass systemd-analyze verify, and the bridge's scores at most 2.0 in systemd-analyze security")
    func unitsVerify() async throws {
        let root = try repositoryRoot()
        let folder = FileManager.default.temporaryDirectory.path + "/presence-units-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/mosquitto.service.d", withIntermediateDirectories: true)
        // verify checks that ExecStart= is executable: point it at the binary this build made.
        let unit = try String(contentsOfFile: root + "/deploy/systemd/presence-bridge.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/presence-bridge", with: BridgeProcess.executable)
        try unit.write(toFile: folder + "/presence-bridge.service", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: "/lib/systemd/system/mosquitto.service", toPath: folder + "/mosquitto.service")
        try FileManager.default.copyItem(atPath: root + "/deploy/systemd/mosquitto.service.d/presence-bridge.conf",
                                         toPath: folder + "/mosquitto.service.d/presence-bridge.conf")
        for file in ["presence-bridge.service", "mosquitto.service"] {
            let verify = try await run("systemd-analyze", ["verify", folder + "/" + file])
            #expect(verify.exitStatus == 0 && verify.errorLines.isEmpty && verify.outputLines.isEmpty,
                    "\(file): \(verify.errorLines) \(verify.outputLines)")
        }
        let security = try await run("systemd-analyze", ["security", "--offline=true", "--no-pager", folder + "/presence-bridge.service"])
        let overall = try #require((security.outputLines + security.errorLines).first { $0.contains("Overall exposure level") })
        let score = overall.split(separator: ":").last.flatMap { Double($0.split(separator: " ").first ?? "") }
        #expect(score.map { $0 <= 2.0 } == true, "\(overall)")
    }
}

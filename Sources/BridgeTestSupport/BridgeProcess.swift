import Foundation
import LocalBroker

/// The `presence-bridge` executable built beside the test binary, run as a real process.
public enum BridgeProcess {
    /// The executable: `PRESENCE_BRIDGE_EXECUTABLE` when set (`scripts/faults.sh` runs the
    /// fault suite against the release build so), else the one next to the test bundle in the
    /// build folder.
    public static var executable: String {
        if let chosen = ProcessInfo.processInfo.environment["PRESENCE_BRIDGE_EXECUTABLE"], !chosen.isEmpty { return chosen }
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var folder = testBinary.deletingLastPathComponent()
        // Inside an .xctest bundle on Darwin the binary sits deeper; walk up to the build folder.
        while !folder.path.isEmpty, folder.path != "/" {
            let candidate = folder.appendingPathComponent("presence-bridge")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            folder = folder.deletingLastPathComponent()
        }
        return "presence-bridge"
    }

    /// Starts `presence-bridge run` against the fixture's broker with the fixture's data folder
    /// (or `dataDirectory`, which the caller removes); `environment` is added to this process's
    /// own. `launcher` runs first, with the bridge's command line as its arguments
    /// (`BridgeProcess.shellExec`, say).
    public static func start(_ fixture: BridgeFixture, extra: [String] = [], environment: [String: String] = [:],
                             launcher: [String] = [], dataDirectory: String? = nil) async throws -> ChildProcess {
        var c = fixture.configuration
        if let dataDirectory { c.dataDirectory = dataDirectory }
        // Inside the data folder, which the fixture (or the caller) removes.
        try FileManager.default.createDirectory(atPath: c.dataDirectory, withIntermediateDirectories: true)
        let passwordFile = c.dataDirectory + "/password"
        try "pw-bridge\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let command = launcher + [executable]
        return try await ChildProcess.spawn(command[0], Array(command.dropFirst()) + [
            "run", "--broker", c.brokerURL, "--username", "presence-bridge", "--password-file", passwordFile,
            "--data-dir", c.dataDirectory, "--offline-grace", String(c.offlineGrace),
            "--heartbeat-interval", String(c.heartbeatInterval), "--stats-interval", "0.5", "--log-level", "info",
        ] + extra, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    /// A launcher that execs the bridge from `/bin/sh`. Under `LD_PRELOAD=libfaketime` the bridge
    /// must be exec'd by a preloaded process: spawned directly by one that is not, it saw no
    /// arguments (it printed its help).
    public static let shellExec = ["/bin/sh", "-c", #"exec "$0" "$@""#]

    /// Waits until `bridge/status` says online (the bridge is live: live inputs are not lost).
    public static func waitUntilOnline(_ fixture: BridgeFixture) async throws {
        let client = try await fixture.client("dave")
        let status = try await ViewRecorder(client: client, filter: "presence/v1/bridge/status")
        try await status.waitFor("status", timeout: .seconds(30), "bridge online") { $0.status == "online" }
        await client.disconnect()
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A bridge process whose descriptors below `FD_SETSIZE` (1024) are all taken, as in a process
/// with many files and connections open: its MQTT socket is numbered above what `select()` can
/// watch, and it must connect and serve all the same (the MQTT client polls with `poll()`).
@Suite("Many descriptors open", .serialized, .timeLimit(.minutes(3)))
struct ManyDescriptorsTests {
    /// Descriptors 3...`ballast` open on /dev/null (inherited: shell redirections are not
    /// close-on-exec), under a soft limit raised to hold them, then the bridge exec'd.
    static let ballast = Int(FD_SETSIZE) + 100
    static let launcher = ["/bin/bash", "-c", #"""
        ulimit -Sn 4096 2>/dev/null || ulimit -n 4096 || exit 97  # the soft limit; as root the hard one too if lower
        for ((n = 3; n <= \#(ballast); n++)); do eval "exec $n</dev/null" || exit 98; done
        exec "$0" "$@"
        """#]

    @Test("with every descriptor below 1024 taken, the bridge connects on a socket above it and serves views")
    func socketAboveSelectLimit() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            let bridge = try await BridgeProcess.start(fixture, launcher: Self.launcher)
            fixture.onTearDown { await bridge.terminate(grace: .seconds(20)) }
            try await BridgeProcess.waitUntilOnline(fixture)

            let sockets = try Self.socketDescriptors(of: bridge.pid)
            #expect(!sockets.isEmpty && sockets.allSatisfy { $0 > Self.ballast },
                    "the bridge's sockets are numbered above the ballast: \(sockets)")

            let bob = try await fixture.bobWatchesAlice()
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await bob.waitFor("alice", timeout: .seconds(30), "alice online in bob's view") { $0.status == "online" }
            try await fixture.send(phone, "alice/phone/state", #"{"status":"away","session":"s1"}"#)
            try await bob.waitFor("alice", timeout: .seconds(30), "alice away in bob's view") { $0.status == "away" }
            #expect(bridge.exitStatus == nil, "still running")
            #expect(!bridge.errorLines.contains { $0.contains("FD_SETSIZE") }, "\(bridge.errorLines.suffix(5))")
        }
    }

    /// The descriptors of process `pid` that are sockets (from /proc/{pid}/fd).
    private static func socketDescriptors(of pid: Int32) throws -> [Int] {
        let folder = "/proc/\(pid)/fd"
        return try FileManager.default.contentsOfDirectory(atPath: folder).compactMap { name in
            guard let number = Int(name),
                  let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(name)"),
                  target.hasPrefix("socket:") else { return nil }
            return number
        }.sorted()
    }
}

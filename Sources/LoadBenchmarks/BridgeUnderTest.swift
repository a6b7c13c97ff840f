import Foundation
import LocalBroker

/// The bridge as a child process (`presence-bridge run`), with its peak memory from /proc.
final class BridgeUnderTest: Sendable {
    let process: ChildProcess
    /// When it was spawned (`BenchClock`).
    let startedAt: UInt64

    private init(process: ChildProcess, startedAt: UInt64) {
        self.process = process
        self.startedAt = startedAt
    }

    /// Spawns `executable run` against `brokerURL` with the benchmark's settings: no rate limit,
    /// no offline grace, an hour's heartbeat interval (no liveness timeouts mid-run), stats every second.
    static func start(executable: String, brokerURL: String, passwordFile: String, dataDirectory: String) async throws -> BridgeUnderTest {
        let startedAt = BenchClock.now()
        let process = try await ChildProcess.spawn(executable, [
            "run", "--broker", brokerURL, "--username", "presence-bridge", "--password-file", passwordFile,
            "--data-dir", dataDirectory, "--rate-limit", "0", "--offline-grace", "0",
            "--heartbeat-interval", "3600", "--stats-interval", "1", "--replay-timeout", "300",
            "--log-level", "info",
        ], output: .discard)
        return BridgeUnderTest(process: process, startedAt: startedAt)
    }

    var pid: Int32 { process.pid }

    /// Peak resident memory (VmHWM) in KiB, nil once the process is gone.
    var peakRSSKiB: Int? { status("VmHWM") }

    /// Current resident memory (VmRSS) in KiB.
    var rssKiB: Int? { status("VmRSS") }

    private static func statusField(_ name: String, pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let digits = line.dropFirst(name.count + 1).filter(\.isNumber)
            return Int(digits)
        }
        return nil
    }

    /// The field `name` (KiB) of /proc/PID/status.
    func status(_ name: String) -> Int? { Self.statusField(name, pid: pid) }

    /// CPU time used so far (user + system), seconds, from /proc/PID/stat.
    var cpuSeconds: Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state(0) ppid(1) ... utime(11) stime(12).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM (clean shutdown: store flushed, status offline); SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(20)) async -> Int32 {
        await process.terminate(grace: grace)
    }

    /// The last lines of its stderr, for failure messages.
    var recentErrors: [String] { Array(process.errorLines.suffix(5)) }

    /// The `milliseconds` the bridge logged on its latest line containing `text` (its resync's
    /// phases: "replay complete", "live").
    func loggedMilliseconds(_ text: String) -> Int? {
        guard let line = process.errorLines.last(where: { $0.contains(text) }),
              let range = line.range(of: "milliseconds=") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}

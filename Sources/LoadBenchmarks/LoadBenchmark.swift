import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bridge load benchmark: its own mosquitto (the shipped config), the bridge as a child
/// process, U users with C contacts each, and a raw publisher -> subscriber relay on the same
/// broker as the yardstick. It measures and reports; it asserts nothing.
///
/// Scenarios: cold start, status-change throughput, paced latency, heartbeat storm, privacy
/// change, login wave, will storms (published wills, and real connections cut at once), and
/// restarts (the main run's, and a larger one on a broker of its own: first start, restart
/// after SIGTERM and after kill -9, broker restart, wiped broker; `--restart-users 100000` for
/// the full size). See `LoadReport.table` for what is printed.
public enum LoadBenchmark {
    /// Runs every scenario; `progress` receives one line per step (for a terminal).
    public static func run(_ options: LoadBenchmarkOptions, progress: @escaping @Sendable (String) -> Void) async throws -> LoadReport {
        var options = options
        options.normalise()
        raiseFileLimit()
        let begin = BenchClock.now()
        var report = LoadReport(options: options, date: ISO8601DateFormatter().string(from: Date()), machine: machine())
        progress("load benchmark: \(options.users) users x \(options.contacts) contacts, bridge \(options.bridgeExecutable)")

        let env = try await BenchEnvironment.start(users: options.users, contacts: options.contacts, star: true,
                                                   executable: options.bridgeExecutable, progress: progress)
        let main = MainRun(env: env, options: options, report: report)
        await main.run()
        report = main.report
        await env.shutdown()

        if options.runs("large-restart") {
            do {
                let results = try await RestartMeasurement.run(options, progress: progress)
                report.scenarios.append(contentsOf: results)
            } catch {
                report.problems.append("large restart: \(error)")
                progress("  FAILED: \(error)")
            }
        }
        report.totalSeconds = BenchClock.seconds(begin, BenchClock.now())
        return report
    }

    /// The executable of this process (`/proc/self/exe`): `presence-bench`, which also holds
    /// the helper processes of a run (`devices`).
    public static func currentExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments.first ?? "presence-bench"
    }

    /// The executable `name` in the folder of this process's executable: SwiftPM builds every
    /// product of the package into one folder, so `presence-bench` finds `presence-bridge` there.
    public static func siblingExecutable(_ name: String) -> String {
        URL(fileURLWithPath: currentExecutable()).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// `N cores, CPU model` from /proc/cpuinfo.
    static func machine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown CPU"
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(model)"
    }

    /// Up to the hard limit of open files: the real-connection will storm holds one socket per device.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

import BridgeTestSupport
import Foundation
import Testing

// What the fault tests read off the processes they run: memory from /proc, counters from /metrics.

/// The resident memory of process `pid` in MiB (VmRSS), nil when it is gone.
func residentMiB(_ pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
    return kilobytes / 1024
}

/// The sum of every series of `name` on the bridge's /metrics (`name{label="value"}`: that one).
func metric(_ port: Int, _ name: String) async throws -> Double {
    let answer = try #require(await HTTPProbe.get(port: port, "/metrics"))
    return answer.body.split(separator: "\n")
        .filter { $0.hasPrefix(name + " ") || (!name.hasSuffix("}") && $0.hasPrefix(name + "{")) }
        .compactMap { Double($0.split(separator: " ").last ?? "") }
        .reduce(0, +)
}

import Foundation

/// How big a fault run is: the short version (CI, `scripts/test.sh`) by default, the full one
/// when `PRESENCE_FAULTS=full` (`scripts/faults.sh`). Each fault reads its sizes from here.
struct FaultScale: Sendable {
    /// Users in the ring (each lists `contacts` others and has one device `d`).
    var users: Int
    var contacts: Int
    /// Faults of the repeated kinds injected in one run (bridge kills, broker kills).
    var repetitions: Int
    /// Seconds the network stays cut.
    var cutSeconds: Double
    /// Seconds of churn.
    var churnSeconds: Double
    /// true for the full run.
    var isFull: Bool

    static let current: FaultScale = ProcessInfo.processInfo.environment["PRESENCE_FAULTS"] == "full"
        ? FaultScale(users: 1_000, contacts: 10, repetitions: 20, cutSeconds: 30, churnSeconds: 180, isFull: true)
        : FaultScale(users: 120, contacts: 10, repetitions: 3, cutSeconds: 3, churnSeconds: 20, isFull: false)

    /// `full` or `short`, for the report.
    var name: String { isFull ? "full" : "short" }
}

/// One row of the reliability table: appended as a JSON line to `$PRESENCE_FAULTS_REPORT`
/// (when set; `scripts/faults.sh` prints the table from it) and always written to stderr.
struct FaultReport: Sendable {
    var fault: String
    var injected: String
    var checked: String
    var result: String
    var convergence: [Double] = []

    /// "p50 1.23 s / max 4.56 s" of the times to converge.
    var convergenceText: String {
        guard !convergence.isEmpty else { return "" }
        let sorted = convergence.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        return String(format: "p50 %.2f s / max %.2f s (n = %d)", median, sorted.last ?? 0, sorted.count)
    }

    func write() {
        let row: [String: String] = [
            "fault": fault, "injected": injected, "checked": checked, "result": result,
            "converge": convergenceText, "scale": FaultScale.current.name,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]) else { return }
        let line = String(decoding: data, as: UTF8.self) + "\n"
        FileHandle.standardError.write(Data(("fault report: " + line).utf8))
        guard let path = ProcessInfo.processInfo.environment["PRESENCE_FAULTS_REPORT"] else { return }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        } else {
            try? line.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

/// The bridge process under libfaketime (exec'd from a preloaded shell), its wall clock stepped
/// +1 h, back, and −1 h under load while every device heartbeats within a short liveness window:
/// deadlines run on the monotonic clock, so nobody goes offline, and no last seen moves backwards.
@Suite("The wall clock stepped under load", .serialized)
struct ClockTests {
    static let libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

    @Test("the bridge's wall clock stepped +1 h, back and −1 h under load: the views converge exactly, nobody heartbeating goes offline, no last seen moves backwards")
    func wallClockStepped() async throws {
        let clockFile = FileManager.default.temporaryDirectory.appendingPathComponent("faketime-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: clockFile) }
        func setWallOffset(_ offset: String) throws { try (offset + "\n").write(toFile: clockFile, atomically: true, encoding: .utf8) }
        try setWallOffset("+0")
        let environment = ["LD_PRELOAD": Self.libfaketime, "FAKETIME_TIMESTAMP_FILE": clockFile,
                           "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"]
        // Liveness 2.5 × 2 s: a step forwards on a wall-clock deadline would take everyone offline.
        try await FaultRun.run(environment: environment, configure: { $0.heartbeatInterval = 2; $0.offlineGrace = 0.5 },
                               launcher: BridgeProcess.shellExec) { run in
            let heartbeats = run.load.heartbeats(every: .milliseconds(700))
            defer { heartbeats.cancel() }
            var times: [Double] = []
            for offset in ["+1h", "+0", "-1h"] {
                let load = run.load.run(rate: run.rate)
                try await Task.sleep(for: .seconds(randomSeconds(1...3)))
                try setWallOffset(offset)
                // Longer than the liveness window and the grace: a wrong deadline would have fired.
                try await Task.sleep(for: .seconds(6))
                load.cancel()
                await load.value
                // Before any final round (which would bring a wrongly expired device back): the
                // views must match what was sent during the load, everyone online still online.
                let stopped = ContinuousClock.now
                try await run.watch.waitUntilExact(run.load, kept: run.watch, timeout: .seconds(60))
                times.append((ContinuousClock.now - stopped).seconds)
                _ = try await run.settle(since: stopped)
            }
            heartbeats.cancel()
            #expect(run.watch.lastSeenBackwards.isEmpty, "\(run.watch.lastSeenBackwards.prefix(5))")
            FaultReport(fault: "wall clock stepped (libfaketime)",
                        injected: "+1 h, back, −1 h under load, heartbeats every 0.7 s, liveness 5 s; \(run.loadText)",
                        checked: "6 s after each step, before any final round, every view exact (\(run.load.expected.count)) as the load left it: nobody heartbeating offline; then a fresh subscriber after a final round; no live last seen older than one shown",
                        result: run.watch.lastSeenBackwards.isEmpty ? "views exact, last seen kept" : "last seen moved backwards",
                        convergence: times).write()
        }
    }
}

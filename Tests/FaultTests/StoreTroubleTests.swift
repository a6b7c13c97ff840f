import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

/// The bridge's data folder on a small tmpfs of the test's own, filled up under load: a clear error, `/readyz` 503 with the reason, no view published that
/// the store could not record, and every view exact once the store can write again.
@Suite("Store trouble under load", .serialized)
struct StoreTroubleTests {
    @Test("the data folder's disk full under load, twice: /readyz 503, nothing published that the store could not record, exact views when space returns")
    func diskFull() async throws {
        try await SmallDisk.with(megabytes: 32) { disk in
            let http = try LocalBroker.freePort()
            try await FaultRun.run(arguments: ["--http", "127.0.0.1:\(http)"], dataDirectory: disk.path) { run in
                var times: [Double] = []
                for trouble in [SmallDisk.Trouble.full, .full] {
                    let load = run.load.run(rate: run.rate)
                    try await Task.sleep(for: .seconds(randomSeconds(1...2)))
                    try await disk.inflict(trouble)
                    try await waitUntil(timeout: .seconds(30), "/readyz says the store failed") {
                        guard let answer = await HTTPProbe.get(port: http, "/readyz") else { return false }
                        return answer.status == 503 && answer.body.contains("store")
                    }
                    load.cancel()
                    await load.value
                    // The probe: one user's change while the store cannot write. The bridge takes it
                    // (its store fails again after it), and no view of it may go out.
                    let failuresBefore = try await storeFailures(http)
                    let probe = try await run.load.probe()
                    try await waitUntil(timeout: .seconds(30), "a store write failed after the probe") {
                        try await storeFailures(http) > failuresBefore
                    }
                    #expect(run.watch.differences(from: run.load).contains { $0.contains(probe) },
                            "a view of the probe went out while the store could not record it")
                    let bridge = run.bridge.value
                    #expect(bridge.errorLines.contains { $0.contains("store write failed") }, "a clear error in the log")

                    let repaired = ContinuousClock.now
                    try await disk.repair(trouble)
                    try await waitUntil(timeout: .seconds(30), "/readyz 200 once the store writes again") {
                        await HTTPProbe.get(port: http, "/readyz")?.status == 200
                    }
                    times.append(try await run.settle(since: repaired))
                }
                #expect(run.watch.lastSeenBackwards.isEmpty, "\(run.watch.lastSeenBackwards.prefix(5))")
                FaultReport(fault: "store trouble: the data folder's tmpfs full",
                            injected: "2 × under load, \(run.loadText)",
                            checked: "/readyz 503 naming the store; a probe change while it fails: a store failure after it, no view of it published; \"store write failed\" logged; /readyz 200 and every view exact once repaired",
                            result: "views exact, last seen kept; nothing published unrecorded",
                            convergence: times).write()
            }
        }
    }

    /// `presence_bridge_store_failures_total` from the bridge's /metrics.
    private func storeFailures(_ port: Int) async throws -> Int {
        let answer = try #require(await HTTPProbe.get(port: port, "/metrics"))
        let line = answer.body.split(separator: "\n").first { $0.hasPrefix("presence_bridge_store_failures_total") }
        return Int(Double(line?.split(separator: " ").last ?? "0") ?? 0)
    }
}

/// A tmpfs of the test's own (`mount -t tmpfs -o size=…`, as root), unmounted on every path.
struct SmallDisk: Sendable {
    /// What can go wrong. (Read-only is not one: a tmpfs with a file open for writing cannot be
    /// remounted read-only, the kernel says EBUSY.)
    enum Trouble: Sendable { case full }

    /// Where it is mounted.
    let path: String
    private var filler: String { path + "/filler" }

    static func with<T>(megabytes: Int, _ body: (SmallDisk) async throws -> T) async throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("small-disk-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let disk = SmallDisk(path: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await command("mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path)
        do {
            let result = try await body(disk)
            try? await command("umount", "-l", path)
            return result
        } catch {
            try? await command("umount", "-l", path)
            throw error
        }
    }

    /// Fills the disk to the last byte.
    func inflict(_ trouble: Trouble) async throws {
        switch trouble {
        case .full:
            // dd stops with "No space left on device" (and a non-zero status): that is the point.
            let process = try await ChildProcess.spawn("dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
            _ = try await process.waitForExit(timeout: .seconds(60))
        }
    }

    /// Gives the space back.
    func repair(_ trouble: Trouble) async throws {
        switch trouble {
        case .full: try FileManager.default.removeItem(atPath: filler)
        }
    }

    private static func command(_ arguments: String...) async throws {
        let process = try await ChildProcess.spawn(arguments[0], Array(arguments.dropFirst()))
        let status = try await process.waitForExit(timeout: .seconds(30))
        guard status == 0 else {
            throw ChildProcessError(message: "\(arguments.joined(separator: " ")) failed (\(status)): \(process.errorLines.joined(separator: " "))")
        }
    }
}

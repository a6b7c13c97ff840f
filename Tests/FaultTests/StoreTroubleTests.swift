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
                var probesPublished = 0
                for trouble in [SmallDisk.Trouble.full, .full] {
                    let load = run.load.run(rate: run.rate)
                    try await Task.sleep(for: .seconds(randomSeconds(1...2)))
                    try await disk.inflict(trouble)
                    // A full disk fails only the writes that need new pages: SQLite reuses its log's
                    // (status changes may fit for ever). A guest's list of ids never seen before
                    // adds rows, so the store must grow, until a write fails.
                    var fresh = 0
                    try await waitUntil(timeout: .seconds(30), "/readyz says the store failed") {
                        guard let answer = await HTTPProbe.get(port: http, "/readyz") else { return false }
                        if answer.status == 503 && answer.body.contains("store") { return true }
                        fresh += 1
                        try await run.load.setContacts(ofGuest: "carol", (0..<50).map { "g\(fresh)x\($0)" })
                        return false
                    }
                    load.cancel()
                    await load.value
                    // The probe: one user's change while the store cannot write. The bridge takes it
                    // (its store fails again after it), and no view of it may go out.
                    let receivedBefore = try await metric(http, "presence_bridge_messages_received_total")
                    let probe = try await run.load.probe()
                    try await waitUntil(timeout: .seconds(30), "the bridge received the probe") {
                        try await metric(http, "presence_bridge_messages_received_total") > receivedBefore
                    }
                    let failuresAfterProbe = try await metric(http, "presence_bridge_store_failures_total")
                    try await waitUntil(timeout: .seconds(30), "a store write failed after the probe") {
                        if try await metric(http, "presence_bridge_store_failures_total") > failuresAfterProbe { return true }
                        fresh += 1
                        try await run.load.setContacts(ofGuest: "carol", (0..<50).map { "g\(fresh)x\($0)" })
                        return false
                    }
                    // A full disk fails most writes, not all: SQLite reuses the free pages of its
                    // log. A view of the probe may go out only if its write succeeded: then the
                    // store holds the probe's state (a device row only while not offline).
                    let selfView = "presence/v1/out/\(probe.user)/\(probe.user) shows"
                    if !run.watch.differences(from: run.load).contains(where: { $0.contains(selfView) }) {
                        probesPublished += 1
                        let stored = try await storedStatus(disk.path + "/presence.sqlite", of: probe.user)
                        #expect(stored == (probe.status == "offline" ? nil : probe.status),
                                "the probe's view went out, but the store holds \(stored ?? "no device") for \(probe.status)")
                    }
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
                            checked: "/readyz 503 naming the store; a probe change while it fails, a store failure after it: its view published \(probesPublished) of 2 times, each time with its state in the store; \"store write failed\" logged; /readyz 200 and every view exact once repaired",
                            result: "views exact, last seen kept; nothing published unrecorded",
                            convergence: times).write()
            }
        }
    }
}

/// The status of `user`'s device `d` in the store (`sqlite3`, read-only), nil without a row.
private func storedStatus(_ store: String, of user: String) async throws -> String? {
    let query = try await ChildProcess.spawn("sqlite3", ["-readonly", store, "SELECT status FROM devices WHERE user = '\(user)' AND device = 'd'"])
    let status = try await query.waitForExit(timeout: .seconds(30))
    guard status == 0 else { throw ChildProcessError(message: "sqlite3 failed (\(status)): \(query.errorLines)") }
    return query.outputLines.first { !$0.isEmpty }
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

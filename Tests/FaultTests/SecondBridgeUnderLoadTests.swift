import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

/// A second bridge started by mistake on the served prefix (the same client id, an empty data
/// folder of its own) under load: the one taken over exits non-zero saying why, bridge/status
/// changes a few times rather than for ever, and the views stay exact with no last seen lost.
@Suite("A second bridge under load", .serialized)
struct SecondBridgeUnderLoadTests {
    @Test("a second bridge on the same prefix under load: the first stands down, the views stay exact, no last seen vanishes or moves backwards")
    func secondBridge() async throws {
        try await FaultRun.run { run in
            let status = try await ViewRecorder(client: try await run.fixture.client("dave"), filter: "presence/v1/bridge/status")
            try await status.waitFor("status", "the first bridge online") { $0.status == "online" }
            // The lists stay as they are, so that a view losing its last seen is a loss, not a revocation.
            let load = run.load.run(rate: run.rate, replacingLists: false)
            try await Task.sleep(for: .seconds(randomSeconds(1...3)))
            let secondData = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-second-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: secondData) }
            let started = ContinuousClock.now
            let second = try await BridgeProcess.start(run.fixture, dataDirectory: secondData)
            run.fixture.onTearDown { _ = await second.terminate(grace: .seconds(10)) }
            let first = run.bridge.value
            let exit = try? await first.waitForExit(timeout: .seconds(30))
            #expect(exit != nil && exit != 0, "the bridge taken over exits non-zero")
            #expect(first.errorLines.contains { $0.contains("standing down") }, "and says why: \(first.errorLines.suffix(5))")
            try await waitUntil(timeout: .seconds(60), "the second bridge online") {
                status.views("status").count >= 2 && status.latest("status")?.status == "online"
            }
            try await Task.sleep(for: .seconds(randomSeconds(1...3)))
            load.cancel()
            await load.value
            let time = try await run.settle(since: started)
            let statuses = status.views("status").compactMap(\.status)
            #expect(second.exitStatus == nil, "the newcomer keeps serving")
            #expect(statuses.count <= 12, "bridge/status changed \(statuses.count) times, not for ever: \(statuses)")
            #expect(run.watch.lastSeenVanished.isEmpty, "\(run.watch.lastSeenVanished.prefix(5))")
            // Found by this suite (1 run in 8 at first, then in each of 4 runs): the bridge taken over
            // reconnects once before it sees the newcomer's claim, and libmosquitto sent again the
            // QoS 1 views in flight when it was dropped, older than the newcomer's. The bridge now
            // forgets them (`discardsUnacknowledgedOnReconnect`).
            #expect(run.watch.lastSeenBackwards.isEmpty, "\(run.watch.lastSeenBackwards.prefix(5))")
            FaultReport(fault: "a second bridge on the same prefix (same client id, empty store)",
                        injected: "1 × under load (lists fixed), \(run.loadText)",
                        checked: "the first exits \(exit.map(String.init) ?? "?") saying why; bridge/status \(statuses.count) messages in all; every view exact; no live view lost or lowered its last seen",
                        result: run.watch.lastSeenVanished.isEmpty && run.watch.lastSeenBackwards.isEmpty ? "views exact, last seen kept" : "last seen lost",
                        convergence: [time]).write()
        }
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

/// A viewer that never reads (its socket full) and lists every user of the load, so that every
/// change queues one more message for it: the other viewers must get their views as fast as
/// without it (measured beside a baseline round in the same run), and the bridge's memory stays
/// bounded (the broker queues for the stalled viewer, not the bridge).
@Suite("A viewer that never reads", .serialized)
struct SlowViewerTests {
    @Test("a viewer whose socket is full: the others' views stay exact and current, the bridge's memory bounded")
    func stalledViewer() async throws {
        try await FaultRun.run { run in
            let seconds = run.scale.isFull ? 30.0 : 5.0
            let bridgePID = run.bridge.value.pid
            let bridgeBefore = residentMiB(bridgePID) ?? 0

            let baseline = try await round(run, seconds: seconds)
            try await run.load.setContacts(ofGuest: "mallory", Array(run.load.users.prefix(2_000)))
            let stalled = try await StalledViewer.connect(port: run.fixture.broker.port, user: "mallory", password: "pw-mallory",
                                                         filter: "presence/v1/out/mallory/+")
            defer { stalled.close() }
            try await waitUntil(timeout: .seconds(30), "the stalled viewer's socket fills") { stalled.unreadBytes > 4_000 }
            let brokerBefore = run.fixture.broker.pid.flatMap(residentMiB) ?? 0
            let withStalled = try await round(run, seconds: seconds)
            let unread = stalled.unreadBytes
            let bridgeAfter = residentMiB(bridgePID) ?? 0
            let brokerAfter = run.fixture.broker.pid.flatMap(residentMiB) ?? 0

            #expect(run.watch.lastSeenBackwards.isEmpty, "\(run.watch.lastSeenBackwards.prefix(5))")
            #expect(run.bridge.value.exitStatus == nil, "the bridge still runs")
            let ratio = withStalled.drain / max(baseline.drain, 0.001)
            FaultReport(fault: "a viewer that never reads (socket full)",
                        injected: "1 viewer listing all \(min(2_000, run.scale.users)) users, \(Int(seconds)) s of load beside a \(Int(seconds)) s baseline round; \(run.loadText)",
                        checked: String(format: "others' views exact; drain after the load %.2f s vs %.2f s baseline (× %.2f), final round %.2f s vs %.2f s; bridge RSS %.0f → %.0f MiB; broker %.0f → %.0f MiB; %d bytes unread in the viewer's socket",
                                        withStalled.drain, baseline.drain, ratio, withStalled.settle, baseline.settle,
                                        bridgeBefore, bridgeAfter, brokerBefore, brokerAfter, unread),
                        result: "views exact, last seen kept",
                        convergence: [baseline.settle, withStalled.settle]).write()
        }
    }

    /// The load for `seconds`, then the time until the live watcher is exact (the backlog
    /// drained) and the time a fresh subscriber takes after a final round.
    private func round(_ run: FaultRun, seconds: Double) async throws -> (drain: Double, settle: Double) {
        try await run.loadFor(seconds: seconds)
        let stopped = ContinuousClock.now
        try await run.watch.waitUntilExact(run.load, kept: run.watch, timeout: .seconds(120))
        let drain = (ContinuousClock.now - stopped).seconds
        let settle = try await run.settle(since: .now)
        return (drain, settle)
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

/// Random and malformed payloads at the rate limit of many users, through the real broker, while
/// the load's users keep changing: the bridge keeps running, answers with errors, stays within
/// its memory, and the load's views stay exactly what their own inputs imply.
@Suite("Hostile input under load", .serialized)
struct HostileInputTests {
    @Test("a stream of random and malformed inputs from many users at the rate limit: legitimate views stay exact, the bridge keeps running")
    func hostileStream() async throws {
        let http = try LocalBroker.freePort()
        try await FaultRun.run(arguments: ["--http", "127.0.0.1:\(http)"]) { run in
            let hostile = try await HostileInput(brokerURL: run.brokerURL, senders: run.scale.isFull ? 200 : 40)
            run.fixture.onTearDown { await hostile.close() }  // on every path, a failed check's too
            let seconds = run.scale.isFull ? 120.0 : 8.0
            let bridgePID = run.bridge.value.pid
            let rssBefore = residentMiB(bridgePID) ?? 0
            let rejectedBefore = try await metric(http, "presence_bridge_inputs_rejected_total")
            // 25 per second each asked (the limit is 20/s, bursts of 40); a tenth of them flood.
            let stream = hostile.run(perSecond: 25)
            run.fixture.onTearDown { stream.cancel() }
            var times: [Double] = []
            var peak = rssBefore
            let end = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < end {
                let load = run.load.run(rate: run.rate)
                try await Task.sleep(for: .seconds(min(4, seconds)))
                load.cancel()
                await load.value
                let stopped = ContinuousClock.now
                // Exact while the hostile stream goes on.
                try await run.watch.waitUntilExact(run.load, kept: run.watch, timeout: .seconds(60))
                times.append((ContinuousClock.now - stopped).seconds)
                peak = max(peak, residentMiB(bridgePID) ?? 0)
            }
            stream.cancel()
            let sent = await stream.value
            let settle = try await run.settle(since: .now)
            let rejected = try await metric(http, "presence_bridge_inputs_rejected_total") - rejectedBefore
            let rateLimited = try await metric(http, #"presence_bridge_inputs_rejected_total{reason="rate-limited"}"#)
            await hostile.close()
            #expect(run.bridge.value.exitStatus == nil, "the bridge still runs")
            #expect(rejected > 0, "the hostile inputs were rejected")
            #expect(run.watch.lastSeenBackwards.isEmpty, "\(run.watch.lastSeenBackwards.prefix(5))")
            FaultReport(fault: "hostile input: random and malformed payloads",
                        injected: String(format: "%d inputs from %d users in %.0f s (%.1f/s each on average, a tenth of them at about 4 times that; the limit is 20/s), beside %@",
                                         sent, hostile.senders.count, seconds, Double(sent) / seconds / Double(hostile.senders.count), run.loadText),
                        checked: String(format: "legitimate views exact after every 4 s of load (and a fresh subscriber at the end, %.2f s); %.0f rejections counted (%.0f of them rate-limited); bridge RSS %.0f MiB before, %.0f MiB peak; still running",
                                        settle, rejected, rateLimited, rssBefore, peak),
                        result: "views exact, last seen kept, no crash",
                        convergence: times).write()
        }
    }
}

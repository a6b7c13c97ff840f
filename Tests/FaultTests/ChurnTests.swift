import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import Testing

/// A week of churn compressed into minutes: users coming and going, devices added and dropped,
/// lists replaced with ids never seen before, at thousands of operations per second. Every few
/// seconds the bridge's RSS, its interned ids (`presence_bridge_interned_ids`) and the store's
/// size are sampled: after the warm-up (the first third) they must stay bounded, and the load's
/// ring of users, untouched by the churn, must still read exactly.
@Suite("Churn", .serialized)
struct ChurnTests {
    @Test("users coming and going, devices added and dropped, lists replaced at thousands of ops/s: RSS, interned ids and store size bounded after warm-up")
    func churn() async throws {
        let http = try LocalBroker.freePort()
        // Tombstones forgotten 2 s after a checkpoint covers them (900 s as shipped): a user no
        // list names any more is forgotten once no row of the views record names it.
        let retention = 2.0
        try await FaultRun.run(arguments: ["--http", "127.0.0.1:\(http)", "--tombstone-retention", "\(retention)"]) { run in
            let scale = run.scale
            let churners = scale.isFull ? 500 : 100
            let opsPerSecond = scale.isFull ? 2_000.0 : 1_000.0
            let driver = try await connectOperator(run.brokerURL, "churn")
            let bridgePID = run.bridge.value.pid
            let store = (run.dataDirectory ?? run.fixture.configuration.dataDirectory) + "/presence.sqlite"
            var samples: [(rss: Double, ids: Double, store: Double)] = []
            let churn = Task { () -> Int in
                var generator = SystemRandomNumberGenerator()
                var done = 0
                let tick = 0.02
                var owed = 0.0
                while !Task.isCancelled {
                    owed += opsPerSecond * tick
                    while owed >= 1, !Task.isCancelled {
                        owed -= 1
                        let user = String(format: "c%04d", Int.random(in: 0..<churners, using: &generator))
                        let device = "d\(Int.random(in: 0..<6, using: &generator))"
                        let (suffix, payload): (String, String)
                        switch Int.random(in: 0..<4, using: &generator) {
                        case 0:  // a list replaced by ids never seen before
                            let list = (0..<3).map { _ in "\"n\(UInt32.random(in: 0...UInt32.max, using: &generator))\"" }
                            suffix = ["contacts", "watch", "blocked"].randomElement(using: &generator)!
                            payload = "[" + list.joined(separator: ",") + "]"
                        case 1:  // a device comes (or changes)
                            suffix = "\(device)/state"
                            payload = #"{"status":"\#(["online", "away"].randomElement(using: &generator)!)","session":"s\#(done)"}"#
                        case 2:  // a device goes
                            suffix = "\(device)/state"
                            payload = Bool.random(using: &generator) ? "" : #"{"status":"offline"}"#
                        default:  // the user leaves: lists cleared
                            suffix = ["contacts", "watch", "blocked"].randomElement(using: &generator)!
                            payload = "[]"
                        }
                        let message = MQTTMessage(topic: "presence/v1/in/\(user)/\(suffix)", payload: Array(payload.utf8),
                                                  qos: .atLeastOnce, retain: true)
                        if (try? await driver.publish(message)) != nil { done += 1 }
                    }
                    try? await Task.sleep(for: .seconds(tick))
                }
                return done
            }
            let start = ContinuousClock.now
            let end = start + .seconds(scale.churnSeconds)
            let every = Duration.seconds(scale.isFull ? 10 : 1)
            while ContinuousClock.now < end {
                try await Task.sleep(for: every)
                let size = ["", "-wal"].compactMap {
                    (try? FileManager.default.attributesOfItem(atPath: store + $0))?[.size] as? Int
                }.reduce(0, +)
                samples.append((residentMiB(bridgePID) ?? 0, try await metric(http, "presence_bridge_interned_ids"), Double(size) / 1_048_576))
            }
            churn.cancel()
            let operations = await churn.value
            await driver.disconnect()
            let settle = try await run.settle(since: .now)

            let afterWarmUp = Array(samples.dropFirst(samples.count / 3))
            let first = try #require(afterWarmUp.first)
            let rss = afterWarmUp.map(\.rss), ids = afterWarmUp.map(\.ids), sizes = afterWarmUp.map(\.store)
            // Named at any moment: each churner's three lists of three, the churners, the ring.
            // Forgetting is lazy: an id leaves once its views' tombstones are pruned, a retention
            // after the checkpoint (every 2 s) that covers them: so at most about the ids named in
            // the last (retention + 8 s) on top. Without forgetting they would grow by ~0.75 ×
            // ops/s for the whole run.
            let named = Double(churners * 10 + scale.users)
            let newPerSecond = Double(operations) / scale.churnSeconds * 0.25 * 3
            let bound = named + newPerSecond * (retention + 8) * 1.2
            #expect(ids.max()! <= bound, "interned ids bounded by \(Int(bound)): \(ids)")
            #expect(rss.max()! <= first.rss * 1.5 + 20, "RSS flat after warm-up: \(rss)")
            #expect(run.bridge.value.exitStatus == nil)
            FaultReport(fault: "churn: users come and go, devices added and dropped, lists replaced with new ids",
                        injected: String(format: "%d operations in %.0f s (%.0f/s) by %d users", operations, scale.churnSeconds,
                                         Double(operations) / scale.churnSeconds, churners),
                        checked: String(format: "after warm-up (%d samples): RSS %.0f–%.0f MiB; interned ids %.0f–%.0f (bound %.0f: %.0f named at a time + those of the last %.0f s; without forgetting %.0f); store %.1f–%.1f MiB; the ring's %d views exact after",
                                        afterWarmUp.count, rss.min()!, rss.max()!, ids.min()!, ids.max()!, bound, named, retention + 8,
                                        named + newPerSecond * scale.churnSeconds, sizes.min()!, sizes.max()!,
                                        run.load.expected.count),
                        result: "bounded; views exact",
                        convergence: [settle]).write()
        }
    }
}

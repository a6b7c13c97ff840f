import BridgeTestSupport
import Foundation
import LocalBroker
import Testing

/// Processes killed under a steady load: after each kill and restart a fresh subscriber reads
/// exactly the views the contract implies, and no live view ever showed an older last seen.
@Suite("Crashes under load", .serialized)
struct CrashTests {
    @Test("kill -9 of the bridge at random moments under load, restarted each time: the views converge exactly and no last seen moves backwards")
    func bridgeKilledRepeatedly() async throws {
        try await FaultRun.run { run in
            var times: [Double] = []
            for _ in 0..<run.scale.repetitions {
                let load = run.load.run(rate: run.rate)
                try await Task.sleep(for: .seconds(randomSeconds(0.5...3)))
                await run.killBridge()
                try await Task.sleep(for: .seconds(randomSeconds(0...1)))
                let restarted = ContinuousClock.now
                try await run.restartBridge()
                try await Task.sleep(for: .seconds(randomSeconds(0...2)))
                load.cancel()
                await load.value
                times.append(try await run.settle(since: restarted))
            }
            #expect(run.watch.lastSeenBackwards.isEmpty, "\(run.watch.lastSeenBackwards.prefix(5))")
            FaultReport(fault: "kill -9 of the bridge", injected: "\(times.count) × at random moments, \(run.loadText)",
                        checked: "fresh subscriber: every view exact (\(run.load.expected.count)); no live last seen older than one shown",
                        result: run.watch.lastSeenBackwards.isEmpty ? "views exact, last seen kept" : "last seen moved backwards",
                        convergence: times).write()
        }
    }

    @Test("kill -9 of mosquitto (persistence on) under load, restarted: the bridge reconnects and the views converge exactly")
    func brokerKilled() async throws {
        try await FaultRun.run { run in
            var times: [Double] = []
            let kills = max(1, run.scale.repetitions / 4)
            for _ in 0..<kills {
                let load = run.load.run(rate: run.rate)
                try await Task.sleep(for: .seconds(randomSeconds(1...4)))
                await run.fixture.broker.kill()
                try await Task.sleep(for: .seconds(randomSeconds(0...1)))
                let restarted = ContinuousClock.now
                try await run.fixture.broker.restart()
                try await Task.sleep(for: .seconds(randomSeconds(0...2)))
                load.cancel()
                await load.value
                times.append(try await run.settle(since: restarted))
            }
            #expect(run.watch.lastSeenBackwards.isEmpty, "\(run.watch.lastSeenBackwards.prefix(5))")
            FaultReport(fault: "kill -9 of mosquitto (persistence on)", injected: "\(kills) × at random moments, \(run.loadText)",
                        checked: "fresh subscriber: every view exact (\(run.load.expected.count)); no live last seen older than one shown",
                        result: run.watch.lastSeenBackwards.isEmpty ? "views exact, last seen kept" : "last seen moved backwards",
                        convergence: times).write()
        }
    }
}

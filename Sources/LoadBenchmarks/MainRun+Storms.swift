import Foundation
import LocalBroker
import MQTT
import PresenceCore

extension MainRun {
    // MARK: - Heartbeat storm

    /// Heartbeats of online devices (their current session), then one sentinel change: no view
    /// but the sentinel's may arrive.
    func heartbeatStorm() async throws {
        let count = options.heartbeats
        let before = env.collector.viewsReceived
        let inBefore = env.watcher.counter("messagesIn")
        let start = BenchClock.now()
        for index in 0..<count {
            let user = index % env.users
            try await env.publish(BenchPayloads.heartbeatTopic(user), BenchPayloads.heartbeat(session: "s\(user)"),
                                  qos: .atMostOnce, retain: false)
        }
        await env.publisher.waitForPublishes()
        let published = BenchClock.now()
        // The sentinel: the bridge handles inputs in order, so its views mean every heartbeat was handled.
        let sentinelUser = env.users - 1
        let seq = env.nextSeq
        env.collector.expect(env.viewKeys(of: [sentinelUser]), .statusFromEvent(.online, seq))
        try await env.publishState(sentinelUser)
        guard let done = await env.collector.waitForExpected(timeout: 120) else { throw fail("sentinel views missing after 120 s") }
        let views = env.collector.viewsReceived - before - fanout
        var result = ScenarioResult(name: "heartbeat storm", goal: "\(count) heartbeats from online devices publish 0 views")
        result.eventsIn = count
        result.seconds = BenchClock.seconds(start, done)
        result.eventsPerSecond = Double(count) / max(result.seconds ?? 1, 1e-6)
        result.viewsOut = views
        result.met = views == 0
        result.notes.append(String(format: "published in %.3f s (QoS 0); handled (sentinel's views in) after %.3f s",
                                   BenchClock.seconds(start, published), BenchClock.seconds(start, done)))
        try await Task.sleep(for: .milliseconds(1100))
        if let inBefore, let inAfter = env.watcher.counter("messagesIn") {
            result.notes.append("bridge messagesIn grew by \(inAfter - inBefore) (heartbeats + sentinel; QoS 0 may be dropped under pressure)")
        }
        report.scenarios.append(result)
    }

    // MARK: - Privacy change

    /// The star (in everybody's contacts) hides everything, then shows everything again.
    func privacyChange() async throws {
        let star = env.star
        let keys = (0..<env.users).map { env.collector.key(viewer: $0, target: star) }
        for (audience, condition) in [(Audience.nobody, BenchPayloads.Status.hidden), (.everyone, .online)] {
            let before = env.collector.viewsReceived
            env.collector.expect(keys, .status(condition))
            let start = BenchClock.now()
            try await env.publish(BenchPayloads.settingsTopic(star), BenchPayloads.settings(audience))
            guard let done = await env.collector.waitForExpected(timeout: 120) else {
                throw fail("privacy \(audience): \(env.collector.expectation.pending) views not updated after 120 s")
            }
            var result = ScenarioResult(name: "privacy change to \(audience), \(env.users) viewers",
                                        goal: "time until all \(env.users) viewers' views are updated")
            result.eventsIn = 1
            result.viewsOut = env.collector.viewsReceived - before
            result.seconds = BenchClock.seconds(start, done)
            result.viewsPerSecond = Double(keys.count) / max(result.seconds ?? 1, 1e-6)
            report.scenarios.append(result)
        }
    }

    // MARK: - Login wave

    /// `loginWave` users offline (explicitly), then all online again within one second.
    func loginWave() async throws {
        let targets = Array(0..<options.loginWave)
        let keys = env.viewKeys(of: targets)
        env.collector.expect(keys, .status(.offline))
        for user in targets {
            try await env.publish(BenchPayloads.stateTopic(user), BenchPayloads.offline(session: "s\(user)"))
        }
        guard await env.collector.waitForExpected(timeout: 180) != nil else {
            throw fail("login wave: \(env.collector.expectation.pending) views not offline after 180 s")
        }
        let before = env.collector.viewsReceived
        let firstSeq = env.nextSeq
        env.collector.expect(keys, .statusFromEvent(.online, firstSeq))
        let rate = Double(targets.count)  // all within one second
        let (start, end) = try await env.paced(count: targets.count, rate: rate) { index in
            try await env.publishState(targets[index])
        }
        guard let done = await env.collector.waitForExpected(timeout: 180) else {
            throw fail("login wave: \(env.collector.expectation.pending) views not online after 180 s")
        }
        var result = ScenarioResult(name: "login wave: \(targets.count) users in 1 s",
                                    goal: "time from the first login until all \(keys.count) views are final")
        result.eventsIn = targets.count
        result.eventsPerSecond = Double(targets.count) / max(BenchClock.seconds(start, done), 1e-6)
        result.viewsOut = env.collector.viewsReceived - before
        result.seconds = BenchClock.seconds(start, done)
        result.viewsPerSecond = Double(keys.count) / max(result.seconds ?? 1, 1e-6)
        result.notes.append(String(format: "logins published over %.3f s; last view %.3f s after the last login",
                                   BenchClock.seconds(start, end), BenchClock.seconds(end, done)))
        report.scenarios.append(result)
    }

    // MARK: - Will storms

    /// `willStorm` wills (retained `offline`, `lost`, the current session) published at once by the bench user.
    func willStorm() async throws {
        let targets = Array(0..<options.willStorm)
        let storm = try await measureWillStorm(keys: env.viewKeys(of: targets), wills: targets.count, timeout: 180) {
            for user in targets {
                try await env.publish(BenchPayloads.stateTopic(user), BenchPayloads.will(session: "s\(user)"))
            }
            await env.publisher.waitForPublishes()
        }
        var result = storm.result(name: "will storm: \(targets.count) published wills")
        result.notes.append(String(format: "first will -> last will %.3f s (%d seen); first will -> all views final %.3f s",
                                   BenchClock.seconds(storm.wills.firstAt, storm.wills.lastAt), storm.wills.count,
                                   BenchClock.seconds(storm.start, storm.done)))
        report.scenarios.append(result)
    }

    /// What a will storm measured: when `cause` started, the wills seen, when every view was final.
    struct WillStorm {
        var eventsIn: Int
        var viewsOut: Int
        var start: UInt64
        var wills: (count: Int, firstAt: UInt64, lastAt: UInt64)
        var done: UInt64

        /// The scenario's row: the time from the last will to the last view, against the 2 s goal.
        func result(name: String) -> ScenarioResult {
            var result = ScenarioResult(name: name, goal: "every view final within 2 s of the last will (offline grace 0)")
            result.eventsIn = eventsIn
            result.viewsOut = viewsOut
            let afterLast = wills.lastAt > 0 ? BenchClock.seconds(wills.lastAt, done) : nil
            result.seconds = afterLast
            result.met = afterLast.map { $0 <= 2 }
            return result
        }
    }

    /// Runs `cause` (which makes `count` wills happen) while watching the wills, and waits until
    /// every view in `keys` shows offline.
    func measureWillStorm(keys: [Int], wills count: Int, timeout: Double,
                          _ cause: () async throws -> Void) async throws -> WillStorm {
        try await env.watcher.watchWills()
        let before = env.collector.viewsReceived
        env.collector.expect(keys, .status(.offline))
        let start = BenchClock.now()
        try await cause()
        await env.watcher.waitForWills(count, timeout: 60)
        let wills = env.watcher.wills
        await env.watcher.stopWatchingWills()
        guard let done = await env.collector.waitForExpected(timeout: timeout) else {
            throw fail("will storm: \(env.collector.expectation.pending) views not offline after \(Int(timeout)) s (\(wills.count) wills seen)")
        }
        return WillStorm(eventsIn: count, viewsOut: env.collector.viewsReceived - before, start: start, wills: wills, done: done)
    }

    /// `realClients` connections (one per device) hold wills and are cut at once (no DISCONNECT),
    /// held by child processes of at most 250 devices each (see `DeviceFleet`).
    func realWillStorm() async throws {
        let count = options.realClients
        let targets = Array(0..<count)
        let keys = env.viewKeys(of: targets)
        env.progress("  connecting \(count) clients with wills")
        let benchPasswordFile = env.folder + "/bench-password"
        try (env.benchPassword + "\n").write(toFile: benchPasswordFile, atomically: true, encoding: .utf8)
        let firstSeq = env.nextSeq
        env.nextSeq += count
        env.collector.expect(keys, .statusFromEvent(.online, firstSeq))
        var fleets: [ChildProcess] = []
        for first in stride(from: 0, to: count, by: 250) {
            fleets.append(try await ChildProcess.spawn(LoadBenchmark.currentExecutable(), [
                "devices", "--broker", env.broker.url, "--password-file", benchPasswordFile,
                "--first", "\(first)", "--count", "\(min(250, count - first))", "--seq-base", "\(firstSeq)",
            ]))
        }
        do {
            for fleet in fleets { _ = try await fleet.waitForLine(containing: "ready", timeout: .seconds(120)) }
            guard await env.collector.waitForExpected(timeout: 120) != nil else {
                throw fail("real wills: \(env.collector.expectation.pending) views not online after 120 s")
            }
            var cut: UInt64 = 0
            let storm = try await measureWillStorm(keys: keys, wills: count, timeout: 120) {
                for fleet in fleets { fleet.writeLine("cut") }
                for fleet in fleets { _ = try await fleet.waitForLine(containing: "cut", timeout: .seconds(60)) }
                cut = BenchClock.now()
            }
            var result = storm.result(name: "will storm: \(count) real connections cut")
            result.notes.append(String(format: "%d processes cut their sockets within %.3f s; cut -> last will %.3f s (%d wills seen); cut -> all final %.3f s",
                                       fleets.count, BenchClock.seconds(storm.start, cut), BenchClock.seconds(storm.start, storm.wills.lastAt),
                                       storm.wills.count, BenchClock.seconds(storm.start, storm.done)))
            report.scenarios.append(result)
        } catch {
            for fleet in fleets { await fleet.terminate() }
            throw error
        }
        for fleet in fleets { await fleet.terminate() }
    }

    // MARK: - Restart of the main run's bridge

    /// Stops the bridge, changes 1% of the users while it is down, starts it again on the same store.
    func restart() async throws {
        let stopped = await env.stopBridge()
        report.bridgePeakRSSKiB = stopped.peakKiB
        report.bridgeCPUSeconds = stopped.cpu
        let result = try await RestartMeasurement.measure(env, name: "restart, \(env.users) users x \(options.contacts + 1) contacts",
                                                          inputs: (env.users + 1) * 3, changed: max(env.users / 100, 1), goingOnline: true)
        report.scenarios.append(result)
    }
}

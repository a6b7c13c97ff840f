import Foundation
import MQTT

/// Restart measurements: the bridge started on a broker full of retained inputs and views.
enum RestartMeasurement {
    /// The bridge is stopped: changes `changed` users while it is down (online again, or
    /// explicitly offline), starts it on the same store and measures the time from spawn until
    /// every view of the changed users is received, and its peak RSS.
    ///
    /// The yardstick is the broker replaying the retained inputs alone to a bare subscriber,
    /// measured in the same run: the floor of any restart that does not read the views back.
    static func measure(_ env: BenchEnvironment, name: String, inputs: Int, changed: Int, goingOnline: Bool) async throws -> ScenarioResult {
        let targets = Array(0..<min(changed, env.users))
        let keys = env.viewKeys(of: targets)
        let firstSeq = env.nextSeq
        env.collector.expect(keys, goingOnline ? .statusFromEvent(.online, firstSeq) : .status(.offline))
        for user in targets {
            if goingOnline {
                try await env.publishState(user)
            } else {
                try await env.publish(BenchPayloads.stateTopic(user), BenchPayloads.offline(session: "s\(user)"))
            }
        }
        await env.publisher.waitForPublishes()
        let raw = try await rawReplay(env, filters: [BenchPayloads.topics.inputFilter])
        let views = env.allViewKeys().count
        let onlineBefore = env.watcher.onlineCount
        let before = env.collector.viewsReceived
        env.progress("  restarting the bridge: \(inputs) retained inputs, \(views) retained views, \(keys.count) views to change")
        let bridge = try await env.startBridge()
        guard let liveAt = await env.watcher.waitForOnline(after: onlineBefore, timeout: 300) else {
            throw BenchError(message: "restart: not live within 300 s: \(bridge.recentErrors)")
        }
        guard let done = await env.collector.waitForExpected(timeout: 120) else {
            throw BenchError(message: "restart: \(env.collector.expectation.pending) changed views missing after 120 s")
        }
        try await Task.sleep(for: .milliseconds(500))
        var result = ScenarioResult(name: name, goal: "spawn to all views reconciled <= 1.5 x the broker's replay of the retained inputs alone; peak RSS <= 300 MiB")
        result.eventsIn = targets.count
        result.viewsOut = env.collector.viewsReceived - before
        result.seconds = BenchClock.seconds(bridge.startedAt, max(liveAt, done))
        result.retainedMessages = inputs + views
        result.peakRSSKiB = bridge.peakRSSKiB
        result.rawSeconds = raw.seconds
        result.met = (result.seconds ?? .infinity) <= 1.5 * raw.seconds && (result.peakRSSKiB ?? .max) <= 300 * 1024
        result.notes.append(String(format: "raw: a bare subscriber gets the %d retained inputs in %.3f s", raw.messages, raw.seconds))
        result.notes.append(phases(bridge))
        result.notes.append(String(format: "spawn -> live %.3f s; %d retained inputs + %d retained views replayed; %d views changed; peak RSS %.1f MiB",
                                   BenchClock.seconds(bridge.startedAt, liveAt), inputs, views, keys.count,
                                   Double(result.peakRSSKiB ?? 0) / 1024))
        return result
    }

    /// The yardstick of a restart: how long the broker takes to replay the retained messages
    /// under `filters` to a fresh subscriber that only counts them (and a sync marker).
    static func rawReplay(_ env: BenchEnvironment, filters: [String]) async throws -> (seconds: Double, messages: Int) {
        let client = MQTTClient(configuration: try BenchEnvironment.configuration(env.broker, env.benchPassword, "bench-replay"),
                                logger: BenchEnvironment.logger)
        try await client.connect()
        let marker = "bench/sync/\(UInt32.random(in: 0...UInt32.max))"
        let counter = Task.detached { () -> (Int, UInt64) in
            var count = 0
            for await message in client.messages {
                if message.topic == marker { return (count, BenchClock.now()) }
                count += 1
            }
            return (count, 0)
        }
        let watchdog = Task.detached {
            try await Task.sleep(for: .seconds(300))
            await client.abortConnection()
        }
        let start = BenchClock.now()
        _ = try await client.subscribe(filters + [marker], qos: .atLeastOnce)
        try await client.publish(MQTTMessage(topic: marker, payload: Array("sync".utf8), qos: .atLeastOnce))
        let (count, end) = await counter.value
        watchdog.cancel()
        await client.disconnect()
        guard end > 0 else { throw BenchError(message: "raw replay: no sync marker within 300 s (\(count) messages)") }
        return (BenchClock.seconds(start, end), count)
    }

    /// The large restart on a broker of its own: cold start, then a restart with 1% changed.
    static func run(_ options: LoadBenchmarkOptions, progress: @escaping @Sendable (String) -> Void) async throws -> [ScenarioResult] {
        let users = options.restartUsers
        let contacts = options.restartContacts
        progress("- restart at \(users) users x \(contacts) contacts (a broker of its own)")
        let env = try await BenchEnvironment.start(users: users, contacts: contacts, star: false,
                                                   executable: options.bridgeExecutable, progress: progress)
        do {
            progress("  publishing the retained inputs of \(users) users")
            try await env.publishSetup()
            let keys = env.allViewKeys()
            env.collector.expect(keys, .status(.online))
            let bridge = try await env.startBridge()
            guard let liveAt = await env.watcher.waitForOnline(after: 0, timeout: 600) else {
                throw BenchError(message: "cold start: not live within 600 s: \(bridge.recentErrors)")
            }
            guard let finalAt = await env.collector.waitForExpected(timeout: 600) else {
                throw BenchError(message: "cold start: \(env.collector.expectation.pending) views missing after 600 s")
            }
            var cold = ScenarioResult(name: "cold start, \(users) users x \(contacts) contacts",
                                      goal: "time from spawn until all \(keys.count) views are received; peak RSS")
            cold.eventsIn = users * 3
            cold.viewsOut = keys.count
            cold.seconds = BenchClock.seconds(bridge.startedAt, max(liveAt, finalAt))
            cold.viewsPerSecond = Double(keys.count) / max(cold.seconds ?? 1, 1e-6)
            cold.retainedMessages = users * 3
            cold.peakRSSKiB = bridge.peakRSSKiB
            cold.notes.append(String(format: "spawn -> live %.3f s; peak RSS %.1f MiB", BenchClock.seconds(bridge.startedAt, liveAt),
                                     Double(cold.peakRSSKiB ?? 0) / 1024))
            var results = [cold]
            do {
                // Each step keeps the figures of the steps before it if it fails.
                _ = await env.stopBridge()
                var restart = try await measure(env, name: "restart after SIGTERM, \(users) users x \(contacts) contacts",
                                                inputs: users * 3, changed: max(users / 100, 1), goingOnline: false)
                restart.notes.append("1% of the users went offline while the bridge was down")
                results.append(restart)
                await env.killBridge()
                var crash = try await measure(env, name: "restart after kill -9, \(users) users x \(contacts) contacts",
                                              inputs: users * 3, changed: max(users / 100, 1), goingOnline: true)
                crash.notes.append("kill -9 of the live bridge; then 1% of the users came online while it was down")
                results.append(crash)
                results.append(try await measureReconnect(env, name: "broker restart, \(users) users x \(contacts) contacts"))
                results.append(try await measureLostStore(env, name: "store deleted, \(users) users x \(contacts) contacts"))
                // Last: the wiped broker keeps no inputs, so nothing after it can be compared.
                results.append(try await measureReconnect(env, name: "broker wiped, store kept, \(users) users x \(contacts) contacts", wipe: true))
            } catch {
                var failed = ScenarioResult(name: "large restart (stopped early)", goal: "the remaining restart scenarios")
                failed.notes.append("FAILED: \(error)")
                results.append(failed)
                progress("  FAILED: \(error)")
            }
            _ = await env.stopBridge()
            await env.shutdown()
            return results
        } catch {
            await env.shutdown()
            throw error
        }
    }

    /// The bridge stopped, its store deleted, started again: it reads every retained view back
    /// (in batches of viewers past `--read-back-batch`) and should republish nothing.
    static func measureLostStore(_ env: BenchEnvironment, name: String) async throws -> ScenarioResult {
        _ = await env.stopBridge()
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: env.folder + "/bridge-data/presence.sqlite" + suffix)
        }
        let onlineBefore = env.watcher.onlineCount
        env.progress("  restarting the bridge without its store")
        let bridge = try await env.startBridge()
        guard let liveAt = await env.watcher.waitForOnline(after: onlineBefore, timeout: 600) else {
            throw BenchError(message: "lost store: not live within 600 s: \(bridge.recentErrors)")
        }
        // The new process's first bridge/stats (it counts one read-back since its start).
        let statsDeadline = BenchClock.now() + 10_000_000
        while env.watcher.counter("resyncsReadBack") != 1 || env.watcher.counter("resyncsFromCheckpoint") != 0, BenchClock.now() < statsDeadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        var result = ScenarioResult(name: name, goal: "spawn to live through the full read-back; views republished; peak RSS")
        result.seconds = BenchClock.seconds(bridge.startedAt, liveAt)
        result.peakRSSKiB = bridge.peakRSSKiB
        result.viewsOut = env.watcher.counter("viewsRepaired")
        result.notes.append(phases(bridge))
        result.notes.append(String(format: "%d views republished (0 expected: every view and last seen read back); peak RSS %.1f MiB",
                                   result.viewsOut ?? -1, Double(result.peakRSSKiB ?? 0) / 1024))
        return result
    }

    /// The resync's phases as the bridge logged them.
    static func phases(_ bridge: BridgeUnderTest) -> String {
        let loaded = bridge.loggedMilliseconds("store loaded").map { "\($0) ms" } ?? "?"
        let replay = bridge.loggedMilliseconds("replay complete").map { "\($0) ms" } ?? "?"
        let live = bridge.loggedMilliseconds("] live").map { "\($0) ms" } ?? "?"
        return "the bridge's own account: resync start -> store loaded \(loaded), -> replay complete \(replay), -> live \(live)"
    }

    /// The bridge running, the broker restarted (SIGTERM, so it saves, then started from its
    /// file): the time from the broker accepting connections again until the bridge is live,
    /// beside the broker's replay of the retained inputs alone to a bare subscriber.
    ///
    /// With `wipe`, the broker comes back with nothing retained (no inputs, no views, no
    /// checkpoint): the bridge rebuilds every view from its store and publishes them all.
    static func measureReconnect(_ env: BenchEnvironment, name: String, wipe: Bool = false) async throws -> ScenarioResult {
        guard let bridge = env.bridge else { throw BenchError(message: "broker restart: no bridge running") }
        let onlineBefore = env.watcher.onlineCount
        env.progress(wipe ? "  restarting the broker with nothing retained" : "  restarting the broker under the running bridge")
        if wipe {
            await env.broker.stopProcess()
            env.broker.deletePersistence()
        }
        try await env.broker.restart()
        let brokerUp = BenchClock.now()
        guard let liveAt = await env.watcher.waitForOnline(after: onlineBefore, timeout: 300) else {
            throw BenchError(message: "broker restart: the bridge was not live again within 300 s: \(bridge.recentErrors)")
        }
        let raw = try await rawReplay(env, filters: [BenchPayloads.topics.inputFilter])
        if wipe {
            var result = ScenarioResult(name: name, goal: "broker up to the bridge live again, every view republished from the store; peak RSS")
            result.seconds = BenchClock.seconds(brokerUp, liveAt)
            result.peakRSSKiB = bridge.peakRSSKiB
            result.viewsOut = env.allViewKeys().count
            result.notes.append(phases(bridge))
            result.notes.append(String(format: "peak RSS of the bridge process %.1f MiB (since its start)", Double(result.peakRSSKiB ?? 0) / 1024))
            return result
        }
        var result = ScenarioResult(name: name, goal: "broker up to the bridge live again <= 1.5 x the broker's replay of the retained inputs alone; peak RSS <= 300 MiB")
        result.seconds = BenchClock.seconds(brokerUp, liveAt)
        result.rawSeconds = raw.seconds
        result.peakRSSKiB = bridge.peakRSSKiB
        result.met = (result.seconds ?? .infinity) <= 1.5 * raw.seconds && (result.peakRSSKiB ?? .max) <= 300 * 1024
        result.notes.append(String(format: "raw: a bare subscriber gets the %d retained inputs in %.3f s after the restart; peak RSS of the bridge process %.1f MiB (since its start)",
                                   raw.messages, raw.seconds, Double(result.peakRSSKiB ?? 0) / 1024))
        result.notes.append(phases(bridge))
        return result
    }
}

import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import PresenceBridge

/// One fault run: a real mosquitto (the shipped configuration, persistence on), the bridge as a
/// real process, the load's users set up and their views exact, a watcher of every view for the
/// whole run, and the rate the steady load runs at: half of what the bridge sustained, measured
/// in the same run just before.
///
/// `run` always stops the bridge, the load and the watcher, and the fixture stops the broker.
struct FaultRun: Sendable {
    let fixture: BridgeFixture
    let load: FaultLoad
    let watch: ViewWatch
    let bridge: Locked<ChildProcess>
    /// Status changes per second the bridge sustained unpaced here (with the fan-out of the ring).
    let sustained: Double
    /// The steady load's rate: half of `sustained`, but never more than 5 inputs per second per
    /// user, a quarter of the bridge's per-user rate limit (20/s, bursts of 40): the oracle knows
    /// nothing of the limiter, so a load over it (22/s per user was seen on a quiet machine with
    /// 120 users) has inputs dropped by the contract's rule that the model still counts, and a
    /// backlog the broker held through a cut arrives at once and must fit in the burst.
    var rate: Double { min(sustained / 2, Double(scale.users) * Self.inputsPerUserPerSecond) }
    static let inputsPerUserPerSecond = 5.0
    /// The bridge's arguments beyond the fixture's, used again at every restart.
    let arguments: [String]
    let environment: [String: String]
    /// What runs the executable (`ip netns exec NAME`, a preloaded shell), at every start.
    let launcher: [String]
    /// The bridge's data folder when not the fixture's (a small disk, say).
    let dataDirectory: String?

    var scale: FaultScale { .current }
    var brokerURL: String { fixture.broker.url }

    static func run(
        arguments: [String] = [], environment: [String: String] = [:], brokerConfig: String = "",
        configure: @escaping (inout BridgeConfiguration) -> Void = { _ in }, launcher: [String] = [],
        dataDirectory: String? = nil, _ body: (FaultRun) async throws -> Void
    ) async throws {
        let scale = FaultScale.current
        try await BridgeFixture.run(configure: { configuration in
            // The load's devices send no heartbeats unless a fault asks for them.
            configuration.heartbeatInterval = 3600
            configure(&configuration)
        }, startBridge: false, brokerConfig: brokerConfig) { fixture in
            let bridge = Locked(try await BridgeProcess.start(fixture, extra: arguments, environment: environment,
                                                              launcher: launcher, dataDirectory: dataDirectory))
            fixture.onTearDown { _ = await bridge.value.terminate(grace: .seconds(10)) }
            do {
                try await BridgeProcess.waitUntilOnline(fixture)
                let watch = try await ViewWatch(brokerURL: fixture.broker.url)
                let load = try await FaultLoad(brokerURL: fixture.broker.url, users: scale.users, contacts: scale.contacts)
                fixture.onTearDown {
                    await load.close()
                    await watch.close()
                }
                try await load.setUp()
                try await watch.waitUntilExact(load, timeout: .seconds(300))
                let sustained = try await load.measureSustainedRate(watch)
                try await body(FaultRun(fixture: fixture, load: load, watch: watch, bridge: bridge, sustained: sustained,
                                        arguments: arguments, environment: environment, launcher: launcher,
                                        dataDirectory: dataDirectory))
            } catch {
                let lines = bridge.value.errorLines
                FileHandle.standardError.write(Data(("the bridge's last log lines:\n" + lines.suffix(40).joined(separator: "\n") + "\n").utf8))
                throw error
            }
        }
    }

    /// `kill -9` of the bridge process.
    func killBridge() async { await bridge.value.kill() }

    /// Starts the bridge process again with the same arguments.
    func restartBridge() async throws {
        let process = try await BridgeProcess.start(fixture, extra: arguments, environment: environment,
                                                    launcher: launcher, dataDirectory: dataDirectory)
        bridge.withLock { $0 = process }
    }

    /// The steady load for `seconds`, then stopped.
    func loadFor(seconds: Double) async throws {
        let task = load.run(rate: rate)
        defer { task.cancel() }
        try await Task.sleep(for: .seconds(seconds))
        task.cancel()
        await task.value
    }

    /// The final round, then a fresh subscriber until exact (by `timeout`, 60 s or 180 s in the
    /// full run): the seconds since `since`.
    func settle(since: ContinuousClock.Instant, timeout: Duration? = nil) async throws -> Double {
        try await load.finalRound()
        return try await convergence(brokerURL, load, kept: watch, since: since, timeout: timeout ?? .seconds(scale.isFull ? 180 : 60))
    }

    /// "1,000 users x 10 contacts, load 1,234 changes/s (half of 2,468 sustained)".
    var loadText: String {
        "\(scale.users) users × \(scale.contacts) contacts, load \(Int(rate)) changes/s (half of \(Int(sustained)) sustained, at most \(Int(Self.inputsPerUserPerSecond)) per user)"
    }
}

/// A random number of seconds in `range`: the moments faults strike at.
func randomSeconds(_ range: ClosedRange<Double>) -> Double { Double.random(in: range) }

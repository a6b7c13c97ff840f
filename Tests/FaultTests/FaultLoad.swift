import Foundation
import LocalBroker
import Logging
import MQTT
import Synchronization

/// Synthetic users driven through the bridge's account (which may write every input), and the
/// model of what was sent to them: the checker's oracle.
///
/// User `u0007` lists `contacts / 2` users on either side of it in a ring, from a distance
/// `shift + 1` on (`shift` changes when its list is replaced; `cleared`, -1, is the list `[]`),
/// and has one device `d` on session
/// `s1`; settings are the defaults: every viewer sees the status, only the target's contacts
/// (and itself) the last seen. At the set-up
/// every user goes online, offline and online again, so from then on every view shows a last
/// seen. The model is deliberately small and independent of the engine (a bug shared with the
/// engine could not hide here): which views exist, the status each shows, its devices.
final class FaultLoad: Sendable {
    let users: [String]
    let contacts: Int
    private let driver: MQTTClient
    private let model = Mutex(Model())
    /// Inputs the driver could not hand to the broker (it was away); they are not in the model.
    let publishFailures = Atomic<Int>(0)
    /// Inputs sent and in the model.
    let inputsSent = Atomic<Int>(0)

    private struct Model {
        var shifts: [Int] = []
        var statuses: [String] = []
        var finalRounds = 0
    }

    static let statuses = ["online", "away", "offline"]

    init(brokerURL: String, users count: Int, contacts: Int) async throws {
        users = (0..<count).map { String(format: "u%04d", $0) }
        self.contacts = contacts
        driver = try await connectOperator(brokerURL, "fault-load-driver")
        model.withLock { model in
            model.shifts = Array(repeating: 0, count: count)
            model.statuses = Array(repeating: "offline", count: count)
        }
    }

    func close() async { await driver.disconnect() }

    /// The shift of a list cleared with `[]`.
    static let cleared = -1

    /// The list of user `index` with ring distance `shift` (none when `cleared`).
    func list(_ index: Int, shift: Int) -> [String] {
        guard shift != Self.cleared else { return [] }
        let count = users.count
        var list: [String] = []
        for distance in 1...contacts / 2 {
            list.append(users[(index + distance + shift) % count])
            list.append(users[(index + count - distance - shift) % count])
        }
        return list
    }

    /// Every list, and every device online, offline, online: every view exists and shows a last seen.
    func setUp() async throws {
        for index in users.indices { try await setList(index, shift: 0, retrying: true) }
        for status in ["online", "offline", "online"] {
            for index in users.indices { try await setStatus(index, status, retrying: true) }
        }
        await driver.waitForPublishes()
    }

    /// Replaces user `index`'s contacts (retained, as the user's own client would).
    func setList(_ index: Int, shift: Int, retrying: Bool = false) async throws {
        let payload = "[" + list(index, shift: shift).map { "\"\($0)\"" }.joined(separator: ",") + "]"
        if try await publish("\(users[index])/contacts", payload, retrying: retrying) {
            model.withLock { $0.shifts[index] = shift }
        }
    }

    /// Publishes the state of user `index`'s device (retained, QoS 1); `offline` is an explicit one.
    func setStatus(_ index: Int, _ status: String, retrying: Bool = false) async throws {
        if try await publish("\(users[index])/d/state", #"{"status":"\#(status)","session":"s1"}"#, retrying: retrying) {
            model.withLock { $0.statuses[index] = status }
        }
    }

    /// Unpaced: rounds of status changes of every user, ending online; returns the events per
    /// second until `watch` saw every view final (the rate the bridge sustains here, with the
    /// ring's fan-out).
    func measureSustainedRate(_ watch: ViewWatch) async throws -> Double {
        // At least 3,000 changes, so that the figure is not a matter of a few milliseconds.
        let rounds = max(3, 3_000 / users.count)
        let start = ContinuousClock.now
        for round in 0..<rounds {
            for index in users.indices {
                try await setStatus(index, round == rounds - 1 ? "online" : (round % 2 == 0 ? "away" : "online"), retrying: true)
            }
        }
        try await watch.waitUntilExact(self, timeout: .seconds(300))
        let seconds = (ContinuousClock.now - start).seconds
        return Double(rounds * users.count) / max(seconds, 0.001)
    }

    /// The steady load until the task is cancelled: `rate` inputs per second, of them one in 50
    /// a list replaced (unless `replacingLists` is false; one in four of those cleared) and the
    /// rest status changes, at random users and moments.
    func run(rate: Double, replacingLists: Bool = true) -> Task<Void, Never> {
        Task {
            var generator = SystemRandomNumberGenerator()
            let tick = 0.02
            var owed = 0.0
            while !Task.isCancelled {
                owed += rate * tick
                while owed >= 1, !Task.isCancelled {
                    owed -= 1
                    let index = Int.random(in: users.indices, using: &generator)
                    if replacingLists, Int.random(in: 0..<50, using: &generator) == 0 {
                        try? await setList(index, shift: Int.random(in: Self.cleared..<3, using: &generator))
                    } else {
                        try? await setStatus(index, Self.statuses.randomElement(using: &generator)!)
                    }
                }
                try? await Task.sleep(for: .seconds(tick))
            }
        }
    }

    /// One status change of one user that the model records (the next status of `u0000`):
    /// the user and the status it sent.
    func probe() async throws -> (user: String, status: String) {
        let next = Self.statuses[(Self.statuses.firstIndex(of: model.withLock { $0.statuses[0] })! + 1) % 3]
        try await setStatus(0, next, retrying: true)
        await driver.waitForPublishes()
        return (users[0], next)
    }

    /// Every user's device heartbeats (QoS 0, on its session) every `interval` until the task
    /// is cancelled: the liveness of the online ones never runs out by itself.
    func heartbeats(every interval: Duration) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                let round = ContinuousClock.now
                for user in users where !Task.isCancelled {
                    try? await driver.publish(MQTTMessage(topic: "presence/v1/in/\(user)/d/heartbeat",
                                                          payload: Array(#"{"session":"s1"}"#.utf8)))
                }
                try? await Task.sleep(until: round + interval)
            }
        }
    }

    /// The deterministic end of a phase: every user's list sent again and a final status that
    /// changes with each round, retried until the broker took it: the views are then exact.
    func finalRound() async throws {
        let round = model.withLock { model in
            model.finalRounds += 1
            return model.finalRounds
        }
        let shifts = model.withLock { $0.shifts }
        for index in users.indices {
            try await setList(index, shift: shifts[index], retrying: true)
            try await setStatus(index, Self.statuses[(index + round) % 3], retrying: true)
        }
        await driver.waitForPublishes()
    }

    /// The views the contract implies for what was sent, by topic.
    var expected: [String: ExpectedView] {
        let (shifts, statuses) = model.withLock { ($0.shifts, $0.statuses) }
        let lists = users.indices.map { Set(list($0, shift: shifts[$0])) }
        var expected: [String: ExpectedView] = [:]
        for (index, user) in users.enumerated() {
            expected["presence/v1/out/\(user)/\(user)"] = ExpectedView(status: statuses[index], showsLastSeen: true)
            for target in lists[index] {
                let targetIndex = Int(target.dropFirst())!
                // The default settings show the last seen to the target's contacts only.
                expected["presence/v1/out/\(user)/\(target)"] = ExpectedView(
                    status: statuses[targetIndex], showsLastSeen: lists[targetIndex].contains(user))
            }
        }
        return expected
    }

    /// true for `out/{viewer}/…` where the viewer is one of the load's users.
    func isViewOfLoadUser(_ topic: String) -> Bool {
        let parts = topic.split(separator: "/")
        guard parts.count == 5, let number = Int(parts[3].dropFirst()), parts[3].hasPrefix("u") else { return false }
        return users.indices.contains(number) && users[number] == parts[3]
    }

    /// Replaces the contacts of `user`, someone outside the load (a slow viewer, say).
    func setContacts(ofGuest user: String, _ list: [String]) async throws {
        let payload = "[" + list.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        _ = try await publish("\(user)/contacts", payload, retrying: true)
        await driver.waitForPublishes()
    }

    /// true when the broker took the input; with `retrying`, waits for the broker to be back.
    private func publish(_ suffix: String, _ payload: String, retrying: Bool) async throws -> Bool {
        let message = MQTTMessage(topic: "presence/v1/in/\(suffix)", payload: Array(payload.utf8), qos: .atLeastOnce, retain: true)
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            do {
                try await driver.publish(message)
                inputsSent.add(1, ordering: .relaxed)
                return true
            } catch {
                guard retrying, ContinuousClock.now < deadline else {
                    publishFailures.add(1, ordering: .relaxed)
                    if retrying { throw error }
                    return false
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

/// What one view must show: its status (and the device `d` in it unless offline), and whether
/// its viewer may see the last seen (every user has one from the set-up on).
struct ExpectedView: Equatable, Sendable {
    var status: String
    var showsLastSeen: Bool
}

/// A connection as the bridge's account (which reads and writes every topic), reconnecting
/// within a second of the broker's return.
func connectOperator(_ brokerURL: String, _ clientID: String) async throws -> MQTTClient {
    var configuration = try MQTTConfiguration(url: brokerURL, clientID: clientID + "-" + UUID().uuidString.prefix(6))
    configuration.username = "presence-bridge"
    configuration.password = "pw-bridge"
    configuration.reconnect.maximumDelay = .seconds(1)
    configuration.keepAlive = 120
    let client = MQTTClient(configuration: configuration, logger: Logger(label: "fault-\(clientID)"))
    try await client.connect()
    return client
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

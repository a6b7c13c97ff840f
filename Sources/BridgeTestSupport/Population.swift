import Foundation
import LocalBroker
import MQTT
import Synchronization

/// Many synthetic users driven through the bridge's own account (which may write every input),
/// with the views the contract implies for what was sent: the oracle of the fault tests.
///
/// User `u0007` lists the `contacts / 2` users on either side of it (wrapping around), so every
/// list is returned, and has one device `d`; the settings are the defaults, so every viewer
/// sees every status and last seen. The oracle is deliberately simple: which views exist, the
/// status each shows, and whether it shows a last seen.
public final class Population: Sendable {
    public let users: [String]
    public let contacts: Int
    private let driver: MQTTClient
    private let sent = Mutex<[String: [String]]>([:])
    private let statuses = Mutex<[String: String]>([:])
    private let everOffline = Mutex<Set<String>>([])

    public init(_ fixture: BridgeFixture, users count: Int, contacts: Int) async throws {
        users = (0..<count).map { String(format: "u%04d", $0) }
        self.contacts = contacts
        driver = try await fixture.client("presence-bridge", clientID: "population-driver")
        for (index, user) in users.enumerated() {
            let list = (1...contacts / 2).flatMap { [users[(index + $0) % count], users[(index + count - $0) % count]] }
            try await setContacts(user, list)
        }
        await driver.waitForPublishes()
    }

    /// Replaces `user`'s contacts (retained, as the user's own client would).
    public func setContacts(_ user: String, _ list: [String]) async throws {
        sent.withLock { $0[user] = list }
        try await publish("\(user)/contacts", listJSON(list), retain: true)
    }

    /// Publishes the state of `user`'s device (retained, QoS 1); `offline` is an explicit one.
    public func setStatus(_ user: String, _ status: String, session: String = "s1") async throws {
        let previous = statuses.withLock { $0.updateValue(status, forKey: user) }
        if status == "offline", let previous, previous != "offline" { everOffline.withLock { _ = $0.insert(user) } }
        try await publish("\(user)/d/state", #"{"status":"\#(status)","session":"\#(session)"}"#, retain: true)
    }

    /// A burst: every included user's device goes through `rounds` alternating statuses, ending on
    /// `final(user)`; returns how many state inputs were sent.
    @discardableResult
    public func burst(rounds: Int, of included: (String) -> Bool = { _ in true },
                      final: (String) -> String) async throws -> Int {
        var count = 0
        for round in 0..<rounds {
            for user in users where included(user) {
                let status = round == rounds - 1 ? final(user) : (round % 2 == 0 ? "away" : "online")
                try await setStatus(user, status)
                count += 1
            }
        }
        return count
    }

    public func waitForPublishes() async { await driver.waitForPublishes() }

    /// The views the contract implies now: topic → the status the view shows (nil for a user
    /// whose status is not known yet shows "offline").
    public var expectedViews: [String: String] {
        let lists = sent.withLock { $0 }
        let statuses = statuses.withLock { $0 }
        var expected: [String: String] = [:]
        for user in users {
            let status = statuses[user] ?? "offline"
            expected["presence/v1/out/\(user)/\(user)"] = status
            for (viewer, list) in lists where list.contains(user) {
                expected["presence/v1/out/\(viewer)/\(user)"] = status
            }
        }
        return expected
    }

    /// The users that went offline at least once: they show a last seen from then on.
    public var usersWithLastSeen: Set<String> { everOffline.withLock { $0 } }

    private func publish(_ suffix: String, _ payload: String, retain: Bool) async throws {
        try await driver.publish(MQTTMessage(topic: "presence/v1/in/\(suffix)", payload: Array(payload.utf8),
                                             qos: .atLeastOnce, retain: retain))
    }
}

/// Everything retained under `out/#`, as a fresh operator subscriber reads it, kept up to date.
public final class RetainedViews: Sendable {
    /// The latest payload of each topic (deleted views removed).
    private let latest = Locked<[String: [UInt8]]>([:])
    /// Every last seen each topic has ever shown, in order.
    private let lastSeenHistory = Locked<[String: [String]]>([:])
    /// The topics whose view once showed a last seen and later one without.
    private let lastSeenLost = Locked<Set<String>>([])
    private let received = Locked(0)
    private let task: Task<Void, Never>
    private let client: MQTTClient

    public init(_ fixture: BridgeFixture) async throws {
        client = try await fixture.client("presence-bridge", clientID: "retained-\(UUID().uuidString.prefix(8))")
        let latest = self.latest
        let history = self.lastSeenHistory
        let client = self.client
        let received = self.received
        let lost = self.lastSeenLost
        task = Task {
            for await message in client.messages {
                received.withLock { $0 += 1 }
                latest.withLock { $0[message.topic] = message.payload.isEmpty ? nil : message.payload }
                let view = (try? JSONSerialization.jsonObject(with: Data(message.payload))) as? [String: Any]
                if let lastSeen = view?.lastSeen {
                    history.withLock { $0[message.topic, default: []].append(lastSeen) }
                } else if view != nil, history.withLock({ $0[message.topic] != nil }) {
                    lost.withLock { _ = $0.insert(message.topic) }
                }
            }
        }
        _ = try await client.subscribe(["presence/v1/out/#"], qos: .atLeastOnce)
    }

    deinit { task.cancel() }

    public func close() async {
        task.cancel()
        await client.disconnect()
    }

    /// The views held now, parsed independently of the bridge's JSON code.
    /// Every message received so far (retained and live).
    public var messageCount: Int { received.withLock { $0 } }

    public var views: [String: [String: Any]] {
        latest.withLock { $0 }.mapValues { payload in
            (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? ["unparseable": true]
        }
    }

    /// Every last seen `topic` has shown, oldest first.
    public func lastSeenHistory(_ topic: String) -> [String] { lastSeenHistory.withLock { $0[topic] ?? [] } }

    /// How the views differ from `expected` (topic → status), and from the last-seen rule:
    /// empty when they match exactly.
    public func differences(from expected: [String: String], lastSeenUsers: Set<String>) -> [String] {
        let views = self.views
        var problems: [String] = []
        for (topic, status) in expected.sorted(by: { $0.key < $1.key }) {
            guard let view = views[topic] else {
                problems.append("missing \(topic)")
                continue
            }
            if view.status != status { problems.append("\(topic) shows \(view.status ?? "nil"), not \(status)") }
            let user = String(topic.split(separator: "/").last ?? "")
            if lastSeenUsers.contains(user), view.lastSeen == nil { problems.append("\(topic) lost its last seen") }
        }
        for topic in views.keys.sorted() where expected[topic] == nil {
            problems.append("unexpected \(topic)")
        }
        return problems
    }

    /// Waits until the views match `expected` exactly; the error names the differences.
    public func waitUntilExact(_ expected: [String: String], lastSeenUsers: Set<String>, timeout: Duration = .seconds(60)) async throws {
        do {
            try await waitUntil(timeout: timeout, "the exact views") {
                differences(from: expected, lastSeenUsers: lastSeenUsers).isEmpty
            }
        } catch {
            let problems = differences(from: expected, lastSeenUsers: lastSeenUsers)
            throw ViewsDiffer(problems: problems, cause: "\(error)")
        }
    }

    /// The topics whose view showed a last seen and later a view without one (a deletion aside).
    public var lastSeenVanished: [String] { lastSeenLost.withLock { $0 }.sorted() }

    /// The topics whose last seen ever moved backwards, as this subscriber saw them.
    public var lastSeenMovedBackwards: [String] {
        lastSeenHistory.withLock { history in
            history.filter { _, times in zip(times, times.dropFirst()).contains { $0 > $1 } }.keys.sorted()
        }
    }
}

/// The retained views never matched what the contract implies.
public struct ViewsDiffer: Error, CustomStringConvertible {
    public var problems: [String]
    public var cause: String
    public var description: String {
        "\(cause): \(problems.count) differences: \(problems.prefix(10).joined(separator: "; "))"
    }
}

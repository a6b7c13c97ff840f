import BridgeTestSupport
import Foundation
import MQTT

/// A subscriber to every view (`out/+/+`, as the bridge's account), parsing each with Foundation's
/// JSONSerialization, independently of the bridge's JSON code.
///
/// It keeps the latest payload of each topic and the highest last seen each topic has shown,
/// and records every live view (RETAIN 0: published while it listened) whose last seen is
/// older than one that topic showed before: a last seen that moved backwards. Retained replays
/// (after its own reconnect, from a broker that came back from an older save) only raise the
/// highest last seen; they are the broker's memory, not the bridge speaking.
final class ViewWatch: Sendable {
    private struct State {
        var latest: [String: SeenView] = [:]
        var highestLastSeen: [String: String] = [:]
        var backwards: [String] = []
        var vanished: [String] = []
        var messages = 0
    }

    private let state = Locked(State())
    private let client: MQTTClient
    private let task: Task<Void, Never>

    init(brokerURL: String, name: String = "view-watch") async throws {
        let client = try await connectOperator(brokerURL, name)
        self.client = client
        let state = self.state
        task = Task {
            for await message in client.messages {
                let view = message.payload.isEmpty ? nil : SeenView(message.payload)
                let lastSeen = view?.lastSeen
                state.withLock { state in
                    state.messages += 1
                    state.latest[message.topic] = view
                    let highest = state.highestLastSeen[message.topic]
                    guard let lastSeen else {
                        if !message.retain, view != nil, let highest { state.vanished.append("\(message.topic) (had \(highest))") }
                        return
                    }
                    if !message.retain, let highest, lastSeen < highest {
                        state.backwards.append("\(message.topic): \(highest) then \(lastSeen)")
                    }
                    if highest.map({ lastSeen > $0 }) ?? true { state.highestLastSeen[message.topic] = lastSeen }
                }
            }
        }
        _ = try await client.subscribe(["presence/v1/out/+/+"], qos: .atLeastOnce)
    }

    func close() async {
        task.cancel()
        await client.disconnect()
    }

    var messageCount: Int { state.withLock { $0.messages } }
    /// Live views whose last seen was older than one their topic showed before.
    var lastSeenBackwards: [String] { state.withLock { $0.backwards } }
    /// Live views without a last seen on a topic that showed one: a loss, unless the viewer's
    /// right to see it was revoked (a list changed) in between.
    var lastSeenVanished: [String] { state.withLock { $0.vanished } }
    /// The highest last seen of every topic.
    var highestLastSeen: [String: String] { state.withLock { $0.highestLastSeen } }

    /// How the views held now differ from what `load` implies (and, when given, from the highest
    /// last seen `kept` showed: a view may never show an older one); empty when exact.
    func differences(from load: FaultLoad, kept: ViewWatch? = nil) -> [String] {
        let expected = load.expected
        let latest = state.withLock { $0.latest }
        let highest = kept?.highestLastSeen ?? [:]
        var problems: [String] = []
        for (topic, want) in expected {
            let status = want.status
            guard let view = latest[topic] else {
                problems.append("missing \(topic)")
                continue
            }
            let target = String(topic.split(separator: "/").last ?? "")
            let devices = status == "offline" ? [] : ["d:" + status]
            if view.user != target { problems.append("\(topic) names \(view.user ?? "nobody")") }
            if view.status != status { problems.append("\(topic) shows \(view.status ?? "no status"), not \(status)") }
            if view.devices != devices { problems.append("\(topic) devices \(view.devices ?? [])") }
            if view.hasActivity { problems.append("\(topic) shows an activity") }
            guard want.showsLastSeen else {
                if view.lastSeen != nil { problems.append("\(topic) shows a last seen its viewer may not see: \(view.text)") }
                continue
            }
            guard let lastSeen = view.lastSeen else {
                problems.append("\(topic) has no last seen: \(view.text)")
                continue
            }
            if let shown = highest[topic], lastSeen < shown { problems.append("\(topic) last seen \(lastSeen) older than \(shown) shown before") }
        }
        // Views of viewers outside the load (a test's own slow viewer, say) are that test's business.
        for topic in latest.keys where expected[topic] == nil && load.isViewOfLoadUser(topic) {
            problems.append("unexpected \(topic)")
        }
        return problems.sorted()
    }

    /// Waits until the views are exactly what `load` implies.
    func waitUntilExact(_ load: FaultLoad, kept: ViewWatch? = nil, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        var interval = Duration.milliseconds(20)
        while true {
            let problems = differences(from: load, kept: kept)
            if problems.isEmpty { return }
            guard ContinuousClock.now < deadline else {
                throw ViewsNotExact(problems: problems, timeout: timeout)
            }
            try await Task.sleep(for: interval)
            interval = min(interval * 2, .milliseconds(200))
        }
    }

}

/// The fields of one view the checker compares, parsed once when it arrives.
struct SeenView: Sendable {
    var user: String?
    var status: String?
    var lastSeen: String?
    /// `id:status` of each device, in order; nil when the field is absent.
    var devices: [String]?
    var hasActivity: Bool
    /// The payload as text, for the messages of a failure.
    var text: String

    init(_ payload: [UInt8]) {
        text = String(decoding: payload, as: UTF8.self)
        let object = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? ["unparseable": true]
        user = object["user"] as? String
        status = object["status"] as? String
        lastSeen = object["lastSeen"] as? String
        devices = (object["devices"] as? [[String: Any]])?.map { "\($0["id"] ?? "?"):\($0["status"] ?? "?")" }
        hasActivity = object["activity"] != nil
    }
}

/// The views never became what the contract implies.
struct ViewsNotExact: Error, CustomStringConvertible {
    var problems: [String]
    var timeout: Duration
    var description: String {
        "after \(timeout) the views still differ in \(problems.count) places (\(kinds)): \(problems.prefix(8).joined(separator: "; "))"
    }

    /// How many problems of each kind ("missing", "shows", "has no last seen", …), most first.
    var kinds: String {
        var counts: [String: Int] = [:]
        for problem in problems {
            let words = problem.split(separator: " ")
            let kind = problem.contains("may not see") ? "last seen not allowed"
                : problem.contains("has no last seen") ? "no last seen"
                : words.first?.hasPrefix("presence/") == true ? words.dropFirst().first.map(String.init) ?? "" : words.first.map(String.init) ?? ""
            counts[kind, default: 0] += 1
        }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }
}

/// A fresh subscriber (a new connection) that must read exactly the views `load` implies, with
/// no last seen older than `kept` showed; returns the seconds from `since` until it did.
func convergence(_ brokerURL: String, _ load: FaultLoad, kept: ViewWatch, since: ContinuousClock.Instant,
                 timeout: Duration = .seconds(120)) async throws -> Double {
    let fresh = try await ViewWatch(brokerURL: brokerURL, name: "fresh")
    do {
        try await fresh.waitUntilExact(load, kept: kept, timeout: timeout)
    } catch {
        await fresh.close()
        throw error
    }
    let seconds = (ContinuousClock.now - since).seconds
    await fresh.close()
    return seconds
}

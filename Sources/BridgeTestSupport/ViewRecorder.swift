import Foundation
import LocalBroker
import MQTT
import Synchronization

/// Records every message on a subscription, keyed by the last topic level (the target of a view).
///
/// Payloads are parsed with Foundation's JSONSerialization, independently of the bridge's own
/// JSON code, so the tests check the wire format rather than the bridge's idea of it.
public final class ViewRecorder: Sendable {
    private let history = Locked<[String: [[UInt8]]]>([:])
    private let task: Task<Void, Never>
    public let client: MQTTClient

    public init(client: MQTTClient, filter: String) async throws {
        self.client = client
        let history = self.history
        task = Task {
            for await message in client.messages {
                let target = String(message.topic.split(separator: "/").last ?? "")
                history.withLock { $0[target, default: []].append(message.payload) }
            }
        }
        _ = try await client.subscribe([filter], qos: .atLeastOnce)
    }

    deinit { task.cancel() }

    /// Every payload received for `target`, oldest first (an empty one is a deletion).
    public func payloads(_ target: String) -> [[UInt8]] { history.withLock { $0[target] ?? [] } }

    /// Every view received for `target`, parsed; a deletion is an empty dictionary.
    public func views(_ target: String) -> [[String: Any]] {
        payloads(target).map { payload in
            guard !payload.isEmpty else { return [:] }
            return (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? ["unparseable": true]
        }
    }

    /// The views of `target` from the first one that shows it online.
    public func viewsSinceOnline(_ target: String) -> [[String: Any]] {
        Array(views(target).drop { $0.status != "online" })
    }

    /// The latest view of `target`, nil if none yet or deleted.
    public func latest(_ target: String) -> [String: Any]? {
        guard let last = views(target).last, !last.isEmpty else { return nil }
        return last
    }

    /// The targets with a live (not deleted) view.
    public var targets: Set<String> {
        history.withLock { Set($0.filter { !($0.value.last?.isEmpty ?? true) }.keys) }
    }

    /// Waits until the latest view of `target` satisfies `condition`; returns it.
    @discardableResult
    public func waitFor(_ target: String, timeout: Duration = .seconds(10), _ what: String = "the expected view",
                 _ condition: @escaping ([String: Any]) -> Bool) async throws -> [String: Any] {
        try await waitUntil(timeout: timeout, "\(what) of \(target); saw \(describe(target))") {
            latest(target).map(condition) ?? false
        }
        return latest(target) ?? [:]
    }

    /// Waits until the view of `target` is deleted (an empty retained payload arrives last).
    public func waitForDeletion(_ target: String, timeout: Duration = .seconds(10)) async throws {
        try await waitUntil(timeout: timeout, "deletion of the view of \(target); saw \(describe(target))") {
            payloads(target).last?.isEmpty == true
        }
    }

    public func describe(_ target: String) -> String {
        payloads(target).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " | ")
    }
}

extension Dictionary where Key == String, Value == Any {
    public var status: String? { self["status"] as? String }
    public var lastSeen: String? { self["lastSeen"] as? String }
    public var activity: [String: Any]? { self["activity"] as? [String: Any] }
    public var devices: [[String: Any]]? { self["devices"] as? [[String: Any]] }
    public var deviceIDs: [String]? { devices?.compactMap { $0["id"] as? String } }
    public var fieldNames: Set<String> { Set(keys) }
}

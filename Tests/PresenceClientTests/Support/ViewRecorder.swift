import Foundation
import LocalBroker
import MQTT
import Synchronization

/// Records every payload on a raw subscription, keyed by the last topic level (a view's target).
///
/// Parsed with Foundation's JSONSerialization, independently of the SDK's own parser, so that
/// the tests check what went over the wire (for instance: that no `offline` was ever published).
final class ViewRecorder: Sendable {
    /// A class around the mutex, so that the reading task can share it.
    private final class History: Sendable {
        let payloads = Mutex<[String: [[UInt8]]]>([:])
        func withLock<R>(_ body: (inout [String: [[UInt8]]]) -> R) -> R { payloads.withLock { body(&$0) } }
    }

    private let history = History()
    private let task: Task<Void, Never>

    init(client: MQTTClient, filter: String) async throws {
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

    /// Every view received for `target`, parsed; a deletion is an empty dictionary.
    func views(_ target: String) -> [[String: Any]] {
        history.withLock { $0[target] ?? [] }.map { payload in
            guard !payload.isEmpty else { return [:] }
            return (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? ["unparseable": true]
        }
    }

    /// The views of `target` from its first `online` one on (what came before the device connected is left out).
    func viewsSinceOnline(_ target: String) -> [[String: Any]] {
        let all = views(target)
        guard let first = all.firstIndex(where: { $0["status"] as? String == "online" }) else { return [] }
        return Array(all[first...])
    }

    /// The latest view of `target`, nil if none yet or deleted.
    func latest(_ target: String) -> [String: Any]? {
        guard let last = views(target).last, !last.isEmpty else { return nil }
        return last
    }

    /// Waits until the latest view of `target` satisfies `condition`.
    func waitFor(_ target: String, timeout: Duration = .seconds(10), _ what: String,
                 _ condition: @escaping ([String: Any]) -> Bool) async throws {
        try await waitUntil(timeout: timeout, "\(what) of \(target); saw \(describe(target))") {
            latest(target).map(condition) ?? false
        }
    }

    func describe(_ target: String) -> String {
        history.withLock { $0[target] ?? [] }.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " | ")
    }
}

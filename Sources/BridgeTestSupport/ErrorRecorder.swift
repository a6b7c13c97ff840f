import Foundation
import LocalBroker
import MQTT
import Synchronization

/// A user's subscription to `err/{user}`: every rejected input of theirs, parsed.
public final class ErrorRecorder: Sendable {
    private let received = Locked<[[String: String]]>([])
    private let task: Task<Void, Never>

    public init(client: MQTTClient, user: String) async throws {
        let received = self.received
        task = Task {
            for await message in client.messages {
                let object = (try? JSONSerialization.jsonObject(with: Data(message.payload))) as? [String: String]
                received.withLock { $0.append(object ?? ["unparseable": String(decoding: message.payload, as: UTF8.self)]) }
            }
        }
        _ = try await client.subscribe(["presence/v1/err/\(user)"], qos: .atMostOnce)
    }

    deinit { task.cancel() }

    public var all: [[String: String]] { received.value }

    /// Waits for an error whose topic satisfies `matches`; returns it.
    @discardableResult
    public func waitForError(timeout: Duration = .seconds(10), _ matches: @escaping (String) -> Bool) async throws -> [String: String] {
        try await waitUntil(timeout: timeout, "an error on err/; saw \(all)") {
            all.contains { $0["topic"].map(matches) ?? false }
        }
        return all.first { $0["topic"].map(matches) ?? false } ?? [:]
    }
}

extension BridgeFixture {
    /// Subscribes as `user` to its own error topic.
    public func errors(_ user: String) async throws -> ErrorRecorder {
        try await ErrorRecorder(client: try await client(user), user: user)
    }
}

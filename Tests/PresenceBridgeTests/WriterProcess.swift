import Foundation
@testable import MQTT
import Testing
@testable import PresenceBridge

/// One bridge process's writer over a real SQLite store in `directory`, without a broker: the
/// test plays the broker (its replays, live inputs) and the publisher (it takes what the
/// outbox holds). Releasing it closes the store, as a killed process would.
final class WriterProcess {
    let writer: BridgeWriter
    let outbox = Outbox()

    init(directory: String) throws {
        var configuration = BridgeConfiguration()
        configuration.dataDirectory = directory
        writer = BridgeWriter(configuration: configuration, outbox: outbox, store: try PresenceStore(directory: directory),
                              logger: .init(label: "writer-process"), started: .now(), timings: PipelineTimings(),
                              readiness: Readiness(), transport: {
                                  MQTTClientStatistics(received: 0, published: 0, publishesRejected: 0, reconnects: 0,
                                                       bufferHighWater: 0, buffered: 0)
                              }, wake: {})
    }

    /// The connection came up: the writer starts its resync.
    func connect() { writer.handle([.connection(.connected(sessionPresent: false))]) }

    /// Messages as the MQTT client hands them over, in one batch.
    func receive(_ messages: [MQTTInbound]) { writer.handle(messages) }

    /// Plays one stage of the broker's replay: the retained messages, then the marker on the
    /// stage's sync topic (read from the request in the outbox). Returns what was queued before.
    @discardableResult
    func replay(_ retained: [MQTTInbound]) async throws -> [OutboxItem] {
        let items = await queued()
        let marker = try #require(items.compactMap { item -> String? in
            if case .message(let message) = item, message.payload == Array("sync".utf8) { message.topic } else { nil }
        }.last, "a sync marker was asked for")
        writer.handle(retained + [.message(MQTTMessage(topic: marker, payload: Array("sync".utf8), qos: .atLeastOnce))])
        return items
    }

    /// What the outbox holds now, taken as the publisher would and reported handed to the
    /// connection (so that a catch-up waiting for the outbox to drain goes on). A sentinel
    /// queued first makes `take` return at once.
    func queued() async -> [OutboxItem] {
        outbox.enqueue(MQTTMessage(topic: "sentinel", payload: []))
        let items = await outbox.take() ?? []
        outbox.noteHandled(items.count, views: items.filter { if case .view = $0 { true } else { false } }.count)
        return items
    }

    /// A message on `presence/v1/in/{suffix}`: retained as in a replay, or live.
    static func input(_ suffix: String, _ payload: String, retained: Bool) -> MQTTInbound {
        .message(MQTTMessage(topic: "presence/v1/in/\(suffix)", payload: Array(payload.utf8), qos: .atLeastOnce, retain: retained))
    }

    /// The last payload queued in `items` for `out/{viewer}/{target}` ("" for a delete), if any.
    static func view(_ items: [OutboxItem], _ viewer: String, _ target: String) -> String? {
        items.compactMap { item -> String? in
            if case .view(let message) = item, message.topic == "presence/v1/out/\(viewer)/\(target)" {
                String(decoding: message.payload, as: UTF8.self)
            } else { nil }
        }.last
    }

    /// A new empty data folder, removed by `body`'s end.
    static func withDataFolder<R>(_ body: (String) async throws -> R) async throws -> R {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(directory)
    }
}

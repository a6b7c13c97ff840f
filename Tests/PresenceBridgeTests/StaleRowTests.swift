import Foundation
@testable import MQTT
import PresenceWire
import Testing
@testable import PresenceBridge

/// The writer itself, over a real SQLite store and its outbox (no broker: the test plays the
/// broker's replay), at the restart after a crash: a view whose row the broker's checkpoint does
/// not cover is published again, and a change back to that row's view before it went out does
/// not cancel it, since the broker may hold an older one.
@Suite("A restart after a crash republishes the views its checkpoint does not cover")
struct StaleRowTests {
    private let topics = TopicLayout()

    private func writer(_ directory: String, outbox: Outbox) throws -> BridgeWriter {
        var configuration = BridgeConfiguration()
        configuration.dataDirectory = directory
        return BridgeWriter(configuration: configuration, outbox: outbox, store: try PresenceStore(directory: directory),
                            logger: .init(label: "stale-row-test"), started: .now(), timings: PipelineTimings(),
                            readiness: Readiness(), transport: {
                                MQTTClientStatistics(received: 0, published: 0, publishesRejected: 0, reconnects: 0,
                                                     bufferHighWater: 0, buffered: 0)
                            }, wake: {})
    }

    private func input(_ suffix: String, _ payload: String, retained: Bool) -> MQTTInbound {
        .message(MQTTMessage(topic: "presence/v1/in/\(suffix)", payload: Array(payload.utf8), qos: .atLeastOnce, retain: retained))
    }

    private func state(_ status: String, retained: Bool) -> MQTTInbound {
        input("bob/phone/state", #"{"status":"\#(status)","session":"s1"}"#, retained: retained)
    }

    /// What the outbox holds now, taken as the publisher would and reported handed to the
    /// connection (so that a catch-up waiting for the outbox to drain goes on). A sentinel
    /// queued first makes `take` return at once.
    private func queued(_ outbox: Outbox) async -> [OutboxItem] {
        outbox.enqueue(MQTTMessage(topic: "sentinel", payload: []))
        let items = await outbox.take() ?? []
        outbox.noteHandled(items.count, views: items.filter { if case .view = $0 { true } else { false } }.count)
        return items
    }

    /// Plays one stage of the broker's replay: the retained messages, then the marker on the
    /// stage's sync topic (read from the subscription request in the outbox).
    private func replay(_ writer: BridgeWriter, _ outbox: Outbox, _ retained: [MQTTInbound]) async throws {
        let items = await queued(outbox)
        let marker = try #require(items.compactMap { item -> String? in
            if case .message(let message) = item, message.payload == Array("sync".utf8) { message.topic } else { nil }
        }.last, "a sync marker was asked for")
        writer.handle(retained + [.message(MQTTMessage(topic: marker, payload: Array("sync".utf8), qos: .atLeastOnce))])
    }

    /// The payload queued for `out/alice/bob`, if any.
    private func aliceSeesBob(_ items: [OutboxItem]) -> String? {
        items.compactMap { item -> String? in
            if case .view(let message) = item, message.topic == "presence/v1/out/alice/bob" {
                String(decoding: message.payload, as: UTF8.self)
            } else { nil }
        }.last
    }

    /// The first process, which ends with its store closed (as when killed): bob online, its
    /// views published and checkpointed (batch `covered`), then bob away, recorded in a later
    /// batch whose views never reached the broker. The store's epoch and `covered`.
    private func firstProcess(_ directory: String, _ lists: [MQTTInbound]) async throws -> (UInt64, Int64) {
        let firstOutbox = Outbox()
        let first = try writer(directory, outbox: firstOutbox)
        first.handle([.connection(.connected(sessionPresent: false))])
        try await replay(first, firstOutbox, lists + [state("online", retained: true)])  // inputs: no checkpoint
        try await replay(first, firstOutbox, [])  // views: the broker holds none
        first.handle([])
        #expect(aliceSeesBob(await queued(firstOutbox))?.contains(#""online""#) == true)
        let covered = first.store.sequence
        first.handle([state("away", retained: false)])
        #expect(aliceSeesBob(await queued(firstOutbox))?.contains(#""away""#) == true)
        #expect(first.store.sequence > covered)
        return (first.store.epoch, covered)
    }

    @Test("a stale row's view goes out even when a change comes back to the row's view before it did")
    func staleViewNotCancelled() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stale-row-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lists = [input("alice/contacts", #"["bob"]"#, retained: true), input("bob/contacts", #"["alice"]"#, retained: true)]

        let (epoch, covered) = try await firstProcess(directory, lists)
        // The restart: while it was down bob came back online; the broker holds the views of
        // `covered` (alice sees bob online) and its checkpoint.
        let outbox = Outbox()
        let restarted = try writer(directory, outbox: outbox)
        restarted.handle([.connection(.connected(sessionPresent: false))])
        let checkpoint = MQTTMessage(topic: topics.checkpointTopic, payload: Checkpoint(epoch: epoch, sequence: covered).payload,
                                     qos: .atLeastOnce, retain: true)
        try await replay(restarted, outbox, lists + [state("online", retained: true), .message(checkpoint)])
        restarted.handle([])
        #expect(restarted.statistics.resyncsFromCheckpoint == 1, "the views record is trusted up to the checkpoint")
        // The row of alice's view of bob (away) is stale, and the view is online again: decided
        // and queued. Before the publisher takes it, bob goes away again: back to the row's view,
        // which the broker never got. It must still go out.
        restarted.handle([state("away", retained: false)])
        let view = try #require(aliceSeesBob(await queued(outbox)), "alice's view of bob is sent")
        #expect(view.contains(#""away""#), "\(view)")
    }
}

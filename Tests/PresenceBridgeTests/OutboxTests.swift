import MQTT
import Testing
@testable import PresenceBridge

@Suite("The outbox coalesces views without ever repeating one")
struct OutboxTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    private func digest(_ text: String) -> UInt64 { ViewDigest.of(bytes(text)) }

    /// Queues a view by its text, as the writer does (payload and its digest).
    private func view(_ outbox: Outbox, _ topic: String, _ text: String, replacing: UInt64) {
        outbox.enqueueView(topic: topic, payload: bytes(text), digest: digest(text), replacing: replacing)
    }

    private func drain(_ outbox: Outbox) async -> [String] {
        outbox.close()
        var payloads: [String] = []
        while let batch = await outbox.take() {
            for item in batch {
                if case .view(let message) = item { payloads.append(String(decoding: message.payload, as: UTF8.self)) }
                if case .message(let message) = item { payloads.append(String(decoding: message.payload, as: UTF8.self)) }
            }
        }
        return payloads
    }

    @Test("a view replaced before it went out is sent once, in its newest form")
    func newestWins() async {
        let outbox = Outbox()
        view(outbox, "t", "A", replacing: digest("X"))
        view(outbox, "t", "B", replacing: digest("A"))
        #expect(await drain(outbox) == ["B"])
    }

    @Test("changes that come back to what the viewer holds send nothing")
    func roundTripCancels() async {
        let outbox = Outbox()
        view(outbox, "t", "A", replacing: digest("X"))
        view(outbox, "u", "U", replacing: ViewDigest.deleted)
        view(outbox, "t", "X", replacing: digest("A"))
        #expect(await drain(outbox) == ["U"])
    }

    @Test("a deletion undone by the same view sends nothing; a later change goes out")
    func deleteThenRestore() async {
        let outbox = Outbox()
        view(outbox, "t", "", replacing: digest("X"))
        view(outbox, "t", "X", replacing: ViewDigest.deleted)
        view(outbox, "t", "Y", replacing: digest("X"))
        #expect(await drain(outbox) == ["Y"])
    }

    @Test("a new generation drops what is queued, and a checkpoint goes out only while its promise holds")
    func generations() async {
        let outbox = Outbox()
        view(outbox, "t", "A", replacing: ViewDigest.deleted)
        let generation = outbox.beginGeneration()
        #expect(outbox.mayCheckpoint(generation: generation, connection: 0), "nothing has gone out yet")
        outbox.noteSent(succeeded: true, connection: 0)
        #expect(outbox.mayCheckpoint(generation: generation, connection: 0))
        #expect(!outbox.mayCheckpoint(generation: generation, connection: 1), "another connection than the generation's")
        #expect(!outbox.mayCheckpoint(generation: generation - 1, connection: 0), "an earlier generation")
        outbox.noteSent(succeeded: false, connection: 0)
        #expect(!outbox.mayCheckpoint(generation: generation, connection: 0), "a publish of the generation failed")
        let next = outbox.beginGeneration()
        #expect(outbox.mayCheckpoint(generation: next, connection: 1))
        view(outbox, "u", "U", replacing: ViewDigest.deleted)
        #expect(await drain(outbox) == ["U"])
    }

    @Test("other messages are never coalesced and keep their order")
    func othersInOrder() async {
        let outbox = Outbox()
        outbox.enqueue(MQTTMessage(topic: "err", payload: bytes("1")))
        outbox.enqueue(MQTTMessage(topic: "err", payload: bytes("2")))
        #expect(await drain(outbox) == ["1", "2"])
    }

    @Test("unsent views count what is decided and not yet handed over: coalesced once, cancelled none, dropped by a new generation")
    func unsentViews() async {
        let outbox = Outbox()
        view(outbox, "t", "A", replacing: digest("X"))
        view(outbox, "t", "B", replacing: digest("A"))
        view(outbox, "u", "U", replacing: ViewDigest.deleted)
        outbox.enqueue(MQTTMessage(topic: "err", payload: bytes("e")))
        #expect(outbox.unsentViews == 2, "t once, u once; the error is not a view")
        view(outbox, "t", "X", replacing: digest("B"))
        #expect(outbox.unsentViews == 1, "t came back to what the viewer holds")
        let batch = await outbox.take() ?? []
        #expect(batch.count == 2)
        #expect(outbox.unsentViews == 1, "taken is not handed")
        outbox.noteHandled(2, views: 1)
        #expect(outbox.unsentViews == 0)
        view(outbox, "v", "V", replacing: ViewDigest.deleted)
        outbox.beginGeneration()
        #expect(outbox.unsentViews == 0)
    }
}

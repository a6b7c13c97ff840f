import MQTT
import Testing
@testable import PresenceBridge

@Suite("The outbox coalesces views without ever repeating one")
struct OutboxTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    private func hash(_ text: String) -> Int { ViewEncoder.hash(bytes(text)) }

    private func drain(_ outbox: Outbox) async -> [String] {
        outbox.close()
        var payloads: [String] = []
        while let batch = await outbox.take() {
            payloads += batch.map { String(decoding: $0.payload, as: UTF8.self) }
        }
        return payloads
    }

    @Test("a view replaced before it went out is sent once, in its newest form")
    func newestWins() async {
        let outbox = Outbox()
        outbox.enqueueView(topic: "t", payload: bytes("A"), replacing: hash("X"))
        outbox.enqueueView(topic: "t", payload: bytes("B"), replacing: hash("A"))
        #expect(await drain(outbox) == ["B"])
    }

    @Test("changes that come back to what the viewer holds send nothing")
    func roundTripCancels() async {
        let outbox = Outbox()
        outbox.enqueueView(topic: "t", payload: bytes("A"), replacing: hash("X"))
        outbox.enqueueView(topic: "u", payload: bytes("U"), replacing: Outbox.noView)
        outbox.enqueueView(topic: "t", payload: bytes("X"), replacing: hash("A"))
        #expect(await drain(outbox) == ["U"])
    }

    @Test("a deletion undone by the same view sends nothing; a later change goes out")
    func deleteThenRestore() async {
        let outbox = Outbox()
        outbox.enqueueView(topic: "t", payload: [], replacing: hash("X"))
        outbox.enqueueView(topic: "t", payload: bytes("X"), replacing: Outbox.noView)
        outbox.enqueueView(topic: "t", payload: bytes("Y"), replacing: hash("X"))
        #expect(await drain(outbox) == ["Y"])
    }

    @Test("other messages are never coalesced and keep their order")
    func othersInOrder() async {
        let outbox = Outbox()
        outbox.enqueue(MQTTMessage(topic: "err", payload: bytes("1")))
        outbox.enqueue(MQTTMessage(topic: "err", payload: bytes("2")))
        #expect(await drain(outbox) == ["1", "2"])
    }
}

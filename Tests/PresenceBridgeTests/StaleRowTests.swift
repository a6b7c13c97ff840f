import MQTT
import PresenceWire
import Testing
@testable import PresenceBridge

/// The writer at the restart after a crash (`WriterProcess`: a real store, the test plays the
/// broker): a view whose row the broker's checkpoint does not cover is published again, and a
/// change back to that row's view before it went out does not cancel it, since the broker may
/// hold an older one.
@Suite("A restart after a crash republishes the views its checkpoint does not cover")
struct StaleRowTests {
    private let lists = [WriterProcess.input("alice/contacts", #"["bob"]"#, retained: true),
                         WriterProcess.input("bob/contacts", #"["alice"]"#, retained: true)]

    private func state(_ status: String, retained: Bool) -> MQTTInbound {
        WriterProcess.input("bob/phone/state", #"{"status":"\#(status)","session":"s1"}"#, retained: retained)
    }

    /// The first process, which ends with its store closed (as when killed): bob online, its
    /// views published and checkpointed (batch `covered`), then bob away, recorded in a later
    /// batch whose views never reached the broker. The store's epoch and `covered`.
    private func firstProcess(_ directory: String) async throws -> (epoch: UInt64, covered: Int64) {
        let first = try WriterProcess(directory: directory)
        first.connect()
        try await first.replay(lists + [state("online", retained: true)])  // inputs: no checkpoint
        try await first.replay([])  // views: the broker holds none
        first.receive([])
        #expect(WriterProcess.view(await first.queued(), "alice", "bob")?.contains(#""online""#) == true)
        let covered = first.writer.store.sequence
        first.receive([state("away", retained: false)])
        #expect(WriterProcess.view(await first.queued(), "alice", "bob")?.contains(#""away""#) == true)
        #expect(first.writer.store.sequence > covered)
        return (first.writer.store.epoch, covered)
    }

    @Test("a stale row's view goes out even when a change comes back to the row's view before it did")
    func staleViewNotCancelled() async throws {
        try await WriterProcess.withDataFolder { directory in
            let (epoch, covered) = try await firstProcess(directory)
            // The restart: while it was down bob came back online; the broker holds the views of
            // `covered` (alice sees bob online) and its checkpoint.
            let restarted = try WriterProcess(directory: directory)
            restarted.connect()
            let checkpoint = MQTTMessage(topic: TopicLayout().checkpointTopic, payload: Checkpoint(epoch: epoch, sequence: covered).payload,
                                         qos: .atLeastOnce, retain: true)
            try await restarted.replay(lists + [state("online", retained: true), .message(checkpoint)])
            restarted.receive([])
            #expect(restarted.writer.statistics.resyncsFromCheckpoint == 1, "the views record is trusted up to the checkpoint")
            // The row of alice's view of bob (away) is stale, and the view is online again: decided
            // and queued. Before the publisher takes it, bob goes away again: back to the row's
            // view, which the broker never got. It must still go out.
            restarted.receive([state("away", retained: false)])
            let view = try #require(WriterProcess.view(await restarted.queued(), "alice", "bob"), "alice's view of bob is sent")
            #expect(view.contains(#""away""#), "\(view)")
        }
    }
}

import MQTT
import Testing
@testable import PresenceBridge

/// A restart skips a retained list replayed byte for byte as last applied (`AppliedInputs`),
/// and only that (`WriterProcess`: a real store, the test plays the broker).
@Suite("Retained lists replayed as last applied are skipped, and only those")
struct AppliedInputsTests {
    private let bobOnline = WriterProcess.input("bob/phone/state", #"{"status":"online","session":"s1"}"#, retained: true)

    @Test("a list cleared, then sent again while the bridge was away, is applied at the restart")
    func clearedThenSentAgain() async throws {
        try await WriterProcess.withDataFolder { directory in
            do {
                let first = try WriterProcess(directory: directory)
                first.connect()
                try await first.replay([WriterProcess.input("alice/contacts", #"["bob"]"#, retained: true),
                                        WriterProcess.input("bob/contacts", #"["alice"]"#, retained: true), bobOnline])
                try await first.replay([])
                first.receive([])
                #expect(WriterProcess.view(await first.queued(), "alice", "bob")?.contains(#""online""#) == true)
                first.receive([WriterProcess.input("alice/contacts", "", retained: false)])  // cleared
                #expect(WriterProcess.view(await first.queued(), "alice", "bob") == "", "the view is deleted")
            }
            // Away, alice sent the same list again; the broker replays it, and bob's unchanged one.
            let restarted = try WriterProcess(directory: directory)
            restarted.connect()
            try await restarted.replay([WriterProcess.input("alice/contacts", #"["bob"]"#, retained: true),
                                        WriterProcess.input("bob/contacts", #"["alice"]"#, retained: true), bobOnline])
            try await restarted.replay([])  // no checkpoint: the views are read back; the broker holds none
            restarted.receive([])
            #expect(restarted.writer.statistics.retainedUnchanged == 1, "bob's list, as last applied, is skipped")
            let view = try #require(WriterProcess.view(await restarted.queued(), "alice", "bob"), "alice's list is applied again")
            #expect(view.contains(#""online""#), "\(view)")
        }
    }
}

import PresenceCore
import PresenceWire
import Testing

@Suite("Error reports and the bridge's status")
struct ReportPayloadTests {
    @Test("an error report decodes to the topic and error encoded")
    func errorReportRoundTrip() {
        let topic = "presence/v1/in/alice/phone/state"
        let error = #""status" must be online, away, invisible or offline"#
        let payload = ErrorReportPayload.encode(topic: topic, error: error)
        #expect(String(decoding: payload, as: UTF8.self)
                == #"{"topic":"presence/v1/in/alice/phone/state","error":"\"status\" must be online, away, invisible or offline"}"#)
        let report = ErrorReportPayload.decode(payload)
        #expect(report?.topic == topic)
        #expect(report?.error == error)
    }

    @Test("a report without a topic has an empty one; without an error it is no report")
    func partialReports() {
        #expect(ErrorReportPayload.decode(Array(#"{"error":"x"}"#.utf8))?.topic == "")
        #expect(ErrorReportPayload.decode(Array(#"{"topic":"t"}"#.utf8)) == nil)
        #expect(ErrorReportPayload.decode(Array("oops".utf8)) == nil)
    }

    @Test("the bridge's status, online and as its will")
    func bridgeStatus() {
        let started = Timestamp(millisecondsSinceEpoch: 1_795_909_200_120)
        let online = BridgeStatusPayload.encode(online: true, version: "0.1.0", startedAt: started, heartbeatInterval: 30, offlineGrace: 0.5)
        #expect(String(decoding: online, as: UTF8.self)
                == #"{"status":"online","version":"0.1.0","startedAt":"2026-11-28T23:40:00.120Z","heartbeatInterval":30,"offlineGrace":0.5}"#)
        let will = BridgeStatusPayload.encode(online: false, version: "0.1.0", startedAt: nil, heartbeatInterval: 30, offlineGrace: 5)
        #expect(String(decoding: will, as: UTF8.self) == #"{"status":"offline","version":"0.1.0","heartbeatInterval":30,"offlineGrace":5}"#)
    }
}

import PresenceCore
import Testing
@testable import PresenceWire

@Suite("Wire format of views")
struct ViewEncoderTests {
    private func user(_ text: String) throws -> UserID { try #require(UserID(text)) }

    @Test("a full view encodes in the documented key order")
    func fullView() throws {
        let view = View(
            user: try user("alice"), status: .online,
            lastSeen: Timestamp(millisecondsSinceEpoch: 1_795_909_200_120),
            activity: ActivityView(kind: .typing, detail: "c1"),
            devices: [DeviceView(id: try #require(DeviceID("phone")), platform: "mobile", status: .online)]
        )
        let text = String(decoding: ViewEncoder.encode(view), as: UTF8.self)
        #expect(text == #"{"user":"alice","status":"online","lastSeen":"2026-11-28T23:40:00.120Z","activity":{"type":"typing","conversationId":"c1"},"devices":[{"id":"phone","platform":"mobile","status":"online"}]}"#)
    }

    @Test("hidden fields are absent, never null")
    func bareView() throws {
        let view = View(user: try user("alice"), status: nil, lastSeen: nil, activity: nil, devices: nil)
        #expect(String(decoding: ViewEncoder.encode(view), as: UTF8.self) == #"{"user":"alice"}"#)
    }

    @Test("each activity type carries its own field", arguments: [
        (ActivityKind.typing, "conversationId"), (.viewing, "page"), (.busy, "reason"),
    ])
    func activityFields(_ kind: ActivityKind, _ key: String) throws {
        let view = View(user: try user("a"), status: nil, lastSeen: nil, activity: ActivityView(kind: kind, detail: "x"), devices: nil)
        let text = String(decoding: ViewEncoder.encode(view), as: UTF8.self)
        #expect(text == #"{"user":"a","activity":{"type":"\#(kind.rawValue)","\#(key)":"x"}}"#)
    }
}

import BridgeTestSupport
import PresenceClient
import PresenceCore
import PresenceWire
import Testing

/// Parsing the bridge's view payloads and the display helpers, without a broker.
@Suite("Parsing views")
struct PresenceViewTests {
    @Test("a full view parses into every field")
    func fullView() throws {
        let json = #"{"user":"alice","status":"online","lastSeen":"2026-11-28T23:40:00.120Z","activity":{"type":"typing","conversationId":"c1"},"devices":[{"id":"phone","platform":"mobile","status":"online"},{"id":"web","status":"away"}],"future":1}"#
        let view = try PresenceView(json: Array(json.utf8))
        #expect(view.user == UserID("alice"))
        #expect(view.status == .online)
        #expect(view.lastSeen?.description == "2026-11-28T23:40:00.120Z")
        #expect(view.activity == ActivityView(kind: .typing, detail: "c1"))
        #expect(view.devices?.count == 2)
        #expect(view.devices?.last?.platform == nil)
        #expect(view.devices?.last?.status == .away)
    }

    @Test("a view the bridge encodes is the view the SDK reads", arguments: [
        View(user: UserID("alice")!),
        View(user: UserID("alice")!, status: .offline, lastSeen: Timestamp(millisecondsSinceEpoch: 1_795_909_200_120), devices: []),
        View(user: UserID("alice")!, status: .invisible, activity: ActivityView(kind: .busy, detail: "In \"a\" meeting\n"),
             devices: [DeviceView(id: DeviceID("phone")!, platform: "mobile", status: .invisible), DeviceView(id: DeviceID("web")!, status: .away)]),
    ])
    func bridgeToSDK(_ view: View) throws {
        let read = try PresenceView(json: ViewEncoder.encode(view))
        #expect(read == PresenceView(view))
        #expect(read.status == view.status && read.lastSeen == view.lastSeen && read.activity == view.activity && read.devices == view.devices)
    }

    @Test("a bare view has only its user")
    func bareView() throws {
        let view = try PresenceView(json: Array(#"{"user":"alice"}"#.utf8))
        #expect(view == PresenceView(user: try #require(UserID("alice"))))
    }

    @Test("bad payloads are rejected", arguments: [
        "", "not json", #"{"status":"online"}"#, #"{"user":"a/b"}"#, #"{"user":"alice","status":"asleep"}"#,
        #"{"user":"alice","lastSeen":"yesterday"}"#, #"{"user":"alice","devices":[{"id":"+","status":"online"}]}"#,
    ])
    func rejected(payload: String) {
        #expect(throws: ViewDecodingError.self) { try PresenceView(json: Array(payload.utf8)) }
    }

    @Test("an activity of an unknown kind is left out, the view stays")
    func unknownActivityKind() throws {
        let view = try PresenceView(json: Array(#"{"user":"alice","activity":{"type":"dancing"}}"#.utf8))
        #expect(view.activity == nil)
    }

    @Test("last-seen text and activity text for display")
    func display() throws {
        let seen = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)
        let view = PresenceView(user: try #require(UserID("alice")), status: .offline, lastSeen: seen)
        #expect(view.lastSeenText(now: seen + 30_000) == "Just now")
        #expect(view.lastSeenText(now: seen + 5 * 60_000) == "5m ago")
        #expect(PresenceView(user: try #require(UserID("bob"))).lastSeenText(now: seen) == nil)
        #expect(ActivityView(kind: .viewing, detail: "/inbox").displayText == "Viewing /inbox")
        #expect(ActivityView(kind: .busy, detail: "In a meeting").displayText == "Busy: In a meeting")
        #expect(ActivityView(kind: .busy).displayText == "Busy")
    }

    @Test("times in other precisions parse to the millisecond")
    func timePrecision() throws {
        let whole = try PresenceView(json: Array(#"{"user":"a","lastSeen":"1970-01-01T00:00:01Z"}"#.utf8))
        #expect(whole.lastSeen?.millisecondsSinceEpoch == 1000)
        let micro = try PresenceView(json: Array(#"{"user":"a","lastSeen":"2000-03-01T00:00:00.123456Z"}"#.utf8))
        #expect(micro.lastSeen?.description == "2000-03-01T00:00:00.123Z")
    }
}

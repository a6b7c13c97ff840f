import PresenceCore
import PresenceWire
import Testing

/// What the view encoder writes, the view decoder reads back as the same view.
@Suite("Views: encode, then decode")
struct ViewRoundTripTests {
    static let alice = UserID("alice")!
    static let seen = Timestamp(millisecondsSinceEpoch: 1_795_909_200_120)

    static let views: [View] = [
        View(user: alice),
        View(user: alice, status: .online, devices: []),
        View(user: alice, status: .offline, lastSeen: seen, devices: []),
        View(user: alice, lastSeen: seen),
        View(user: alice, status: .online, lastSeen: seen, activity: ActivityView(kind: .typing, detail: "c1"),
             devices: [DeviceView(id: DeviceID("phone")!, platform: "mobile", status: .online)]),
        View(user: alice, activity: ActivityView(kind: .viewing, detail: "/inbox \"new\" \\ é 😀\n")),
        View(user: alice, activity: ActivityView(kind: .busy)),
        View(user: alice, status: .invisible, devices: [
            DeviceView(id: DeviceID("a")!, status: .invisible), DeviceView(id: DeviceID("b")!, platform: "", status: .away),
        ]),
    ]

    @Test("every view decodes to what was encoded", arguments: views)
    func roundTrip(_ view: View) throws {
        #expect(try ViewDecoder.decode(ViewEncoder.encode(view)) == view)
    }

    @Test("unknown keys and activity kinds are ignored, null is absent")
    func lenientWhereTheContractIs() throws {
        let payload = #" {"user":"alice","status":"away","lastSeen":null,"activity":{"type":"dancing","step":1},"future":{"x":1e999},"devices":[{"id":"p","status":"away","platform":null,"extra":[]}]} "#
        #expect(try ViewDecoder.decode(Array(payload.utf8))
                == View(user: Self.alice, status: .away, devices: [DeviceView(id: DeviceID("p")!, status: .away)]))
    }

    @Test("payloads that are not views are refused", arguments: [
        "", "[]", "not json", #"{"status":"online"}"#, #"{"user":"a/b"}"#, #"{"user":null}"#,
        #"{"user":"alice","user":"bob"}"#, #"{"user":"alice","status":"asleep"}"#, #"{"user":"alice","lastSeen":"yesterday"}"#,
        #"{"user":"alice","lastSeen":5}"#, #"{"user":"alice","activity":{"page":"/"}}"#, #"{"user":"alice","activity":"typing"}"#,
        #"{"user":"alice","activity":{"type":"viewing","page":5}}"#, #"{"user":"alice","devices":{}}"#,
        #"{"user":"alice","devices":[{"id":"+","status":"online"}]}"#, #"{"user":"alice","devices":[{"id":"p"}]}"#,
    ])
    func refused(_ payload: String) {
        #expect(throws: ViewDecodingError.self) { try ViewDecoder.decode(Array(payload.utf8)) }
    }
}

import PresenceClient
import PresenceCore
import Testing

/// The device checks an activity against the wire's limits before it sends anything.
@Suite("Activity limits, checked before sending")
struct ActivityLimitTests {
    let device = PresenceDevice(
        configuration: PresenceConfiguration(brokerURL: "mqtt://127.0.0.1:1", user: UserID("alice")!),
        device: DeviceID("phone")!)

    @Test("an activity over a limit of the contract is refused with the bridge's words", arguments: [
        (Activity(kind: .viewing, detail: String(repeating: "p", count: 257)), #""page" is longer than 256 characters"#),
        (Activity(kind: .typing, audience: (0...100).map { UserID("u\($0)")! }), "to has 101 ids, over the limit of 100"),
        (Activity(kind: .busy, ttlMilliseconds: 86_400_001), #""ttl" must be a number of seconds from 0 to 86400"#),
        (Activity(kind: .busy, ttlMilliseconds: -1), #""ttl" must be a number of seconds from 0 to 86400"#),
    ])
    func refused(_ activity: Activity, _ message: String) async {
        await #expect(throws: PresenceClientError.invalidArgument(message)) { try await device.setActivity(activity) }
    }
}

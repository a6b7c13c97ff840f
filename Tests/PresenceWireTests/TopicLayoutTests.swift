import PresenceCore
import Testing
import PresenceWire

@Suite("Topics under a prefix")
struct TopicLayoutTests {
    let alice = UserID("alice")!
    let bob = UserID("bob")!
    let phone = DeviceID("phone")!

    @Test("every topic lives under the prefix, with or without a trailing slash", arguments: ["acme/presence", "acme/presence/"])
    func customPrefix(_ prefix: String) throws {
        let topics = TopicLayout(prefix: prefix)
        #expect(topics.prefix == "acme/presence")
        #expect(topics.inputFilter == "acme/presence/in/#")
        #expect(topics.viewFilter == "acme/presence/out/+/+")
        #expect(topics.viewFilter(of: bob) == "acme/presence/out/bob/+")
        #expect(topics.viewTopic(viewer: bob, target: alice) == "acme/presence/out/bob/alice")
        #expect(topics.errorTopic(alice) == "acme/presence/err/alice")
        #expect(topics.statusTopic == "acme/presence/bridge/status")
        #expect(topics.statsTopic == "acme/presence/bridge/stats")
        #expect(topics.deviceInput(.state, user: alice, device: phone) == "acme/presence/in/alice/phone/state")
        #expect(topics.userInput(.watch, user: alice) == "acme/presence/in/alice/watch")
        #expect(topics.userInputFilter(of: alice) == "acme/presence/in/alice/+")
        #expect(topics.deviceInputFilter(.state, device: phone) == "acme/presence/in/+/phone/state")
    }

    @Test("a device input topic built parses back to its parts", arguments: DeviceInputKind.allCases)
    func deviceInputRoundTrip(_ kind: DeviceInputKind) {
        let topics = TopicLayout()
        let address = topics.inputAddress(topics.deviceInput(kind, user: alice, device: phone))
        #expect(address == InputAddress(user: "alice", device: "phone", kind: Substring(kind.rawValue)))
        #expect(!topics.isUserInput(topics.deviceInput(kind, user: alice, device: phone), of: alice))
    }

    @Test("a user input topic built parses back to its parts", arguments: UserInputKind.allCases)
    func userInputRoundTrip(_ kind: UserInputKind) {
        let topics = TopicLayout()
        let topic = topics.userInput(kind, user: alice)
        #expect(topics.inputAddress(topic) == InputAddress(user: "alice", device: nil, kind: Substring(kind.rawValue)))
        #expect(topics.isUserInput(topic, of: alice))
        #expect(!topics.isUserInput(topic, of: bob))
    }

    @Test("a view topic built parses back to its viewer and target")
    func viewRoundTrip() {
        let topics = TopicLayout(prefix: "acme")
        let topic = topics.viewTopic(viewer: bob, target: alice)
        #expect(topics.viewPair(topic)?.viewer == "bob")
        #expect(topics.viewPair(topic)?.target == "alice")
        #expect(topics.viewTarget(topic, of: bob) == alice)
        #expect(topics.viewTarget(topic, of: alice) == nil)
        #expect(topics.viewPair(topic + "/extra") == nil)
        #expect(topics.viewTarget("acme/out/bob/not$valid", of: bob) == nil)
        #expect(topics.viewPair(TopicLayout().viewTopic(viewer: bob, target: alice)) == nil, "another prefix")
    }

    @Test("topics of other shapes are unknown inputs, or not inputs at all")
    func otherShapes() {
        let topics = TopicLayout()
        #expect(topics.inputAddress("presence/v1/in/alice/phone/state/extra")?.kind == "")
        #expect(topics.inputAddress("presence/v1/in/alice")?.kind == "")
        #expect(topics.inputAddress("presence/v1/out/alice/bob") == nil)
        #expect(topics.inputAddress("other/in/alice/settings") == nil)
        #expect(!topics.isUserInput("presence/v1/in/alice/phone/state/extra", of: alice))
    }

    @Test("a user's topics are the layout's, bound to that user")
    func userTopics() {
        let layout = TopicLayout(prefix: "acme")
        let mine = layout.topics(of: alice)
        #expect(mine.state(phone) == layout.deviceInput(.state, user: alice, device: phone))
        #expect(mine.heartbeat(phone) == layout.deviceInput(.heartbeat, user: alice, device: phone))
        #expect(mine.activity(phone) == layout.deviceInput(.activity, user: alice, device: phone))
        #expect(mine.userInput(.settings) == "acme/in/alice/settings")
        #expect(mine.viewFilter == "acme/out/alice/+")
        #expect(mine.ownInputFilter == "acme/in/alice/+")
        #expect(mine.errorTopic == "acme/err/alice")
        #expect(mine.isOwnUserInput("acme/in/alice/contacts"))
        #expect(!mine.isOwnUserInput("acme/in/bob/contacts"))
        #expect(mine.viewTarget(layout.viewTopic(viewer: alice, target: bob)) == bob)
        #expect(mine.viewTarget(layout.viewTopic(viewer: bob, target: alice)) == nil)
    }
}

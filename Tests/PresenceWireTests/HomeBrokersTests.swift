import Foundation
import PresenceCore
import PresenceWire
import Testing

@Suite("Home brokers by rendezvous hashing")
struct HomeBrokersTests {
    let brokers = HomeBrokers(urls: ["mqtt://10.0.0.1:1883", "mqtt://10.0.0.2:1883", "mqtt://10.0.0.3:1883"])!

    /// The vectors of the README's "Scaling out", computed by an independent Python version of
    /// the documented hash: another language reproduces these or it is not the same rule.
    @Test("the documented hash gives the documented scores and homes")
    func vectors() {
        #expect(HomeBrokers.score(broker: "mqtt://10.0.0.1:1883", user: "alice") == 0x6dd6_d890_1391_89f0)
        #expect(HomeBrokers.score(broker: "mqtt://10.0.0.1:1883", user: "bob") == 0xb9f0_da6c_08fe_8f9b)
        let homes = ["alice": 2, "bob": 0, "carol": 1, "dave": 2, "user1": 1, "user2": 0]
        for (user, home) in homes {
            #expect(brokers.home(of: UserID(user)!) == home, "\(user)")
        }
        #expect(brokers.homeURL(of: UserID("carol")!) == "mqtt://10.0.0.2:1883")
    }

    /// Tests/Vectors/homes.json, made by Tests/Vectors/make-homes.py with this implementation
    /// (the CLI) and checked by the browser SDK's node tests too: the two agree on every entry.
    @Test("the homes of the shared vector file, which the browser SDK checks too")
    func sharedVectors() throws {
        struct Vectors: Decodable {
            struct Federation: Decodable { let brokers: [String]; let homes: [String: Int] }
            let federations: [Federation]
        }
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Vectors/homes.json").standardizedFileURL
        let vectors = try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: file))
        var checked = 0
        for federation in vectors.federations {
            let homes = try #require(HomeBrokers(urls: federation.brokers))
            for (user, home) in federation.homes {
                #expect(homes.home(of: try #require(UserID(user))) == home, "\(user) over \(federation.brokers)")
                checked += 1
            }
        }
        #expect(checked >= 1000)
    }

    @Test("sequential ids spread evenly over the brokers")
    func balance() {
        var counts = [0, 0, 0]
        for index in 0..<10_000 { counts[brokers.home(of: UserID("user\(index)")!)] += 1 }
        #expect(counts == [3310, 3268, 3422])
    }

    @Test("a fourth broker moves about a quarter of the users, each to the new broker")
    func addingABroker() {
        let four = HomeBrokers(urls: brokers.urls + ["mqtt://10.0.0.4:1883"])!
        var moved = 0
        for index in 0..<10_000 {
            let user = UserID("user\(index)")!
            let before = brokers.home(of: user)
            let after = four.home(of: user)
            guard before != after else { continue }
            moved += 1
            #expect(after == 3)
        }
        #expect(moved == 2531)
    }

    @Test("the order of the list does not change a home")
    func order() {
        let reversed = HomeBrokers(urls: brokers.urls.reversed())!
        for index in 0..<1_000 {
            let user = UserID("u\(index)")!
            #expect(reversed.homeURL(of: user) == brokers.homeURL(of: user))
        }
    }

    @Test("a list is comma-separated, and an empty list or a broker named twice is refused")
    func parsing() {
        #expect(HomeBrokers(list: "mqtt://a:1, mqtt://b:2 ,mqtt://c:3")?.urls == ["mqtt://a:1", "mqtt://b:2", "mqtt://c:3"])
        #expect(HomeBrokers(list: "") == nil)
        #expect(HomeBrokers(list: "mqtt://a:1,mqtt://a:1") == nil)
        #expect(HomeBrokers(list: "mqtt://a:1")?.home(of: UserID("anyone")!) == 0)
    }

    @Test("the federation's topics parse back to what they were built from")
    func federationTopics() {
        let topics = TopicLayout()
        let alice = UserID("alice")!
        let bob = UserID("bob")!
        #expect(topics.federatedInput(.contacts, user: alice, from: 2) == "presence/v1/bridge/fed/2/in/alice/contacts")
        let origin = topics.federatedInputOrigin("presence/v1/bridge/fed/2/in/alice/contacts")
        #expect(origin?.broker == 2)
        #expect(origin?.inputTopic == "presence/v1/in/alice/contacts")
        #expect(topics.federatedInputOrigin("presence/v1/bridge/fed/x/in/alice/contacts") == nil)
        #expect(topics.federatedInputOrigin("presence/v1/in/alice/contacts") == nil)
        #expect(topics.federatedInputFilters == ["presence/v1/bridge/fed/+/in/+/contacts", "presence/v1/bridge/fed/+/in/+/watch"])
        let routed = topics.routedViewTopic(home: 1, viewer: bob, target: alice)
        #expect(routed == "presence/v1/bridge/route/1/out/bob/alice")
        let pair = topics.routedViewPair(routed)
        #expect(pair?.home == 1 && pair?.viewer == "bob" && pair?.target == "alice")
        #expect(topics.routedViewPair("presence/v1/out/bob/alice") == nil)
        #expect(topics.shardStatusTopic(1) == "presence/v1/bridge/shards/1/status")
        #expect(topics.linkTopic(from: 0, to: 2) == "presence/v1/bridge/links/0/2")
    }
}

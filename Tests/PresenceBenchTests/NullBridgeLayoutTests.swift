@testable import LoadBenchmarks
import Testing

@Suite("The null bridge's topics, views and ring")
struct NullBridgeLayoutTests {
    @Test("a view of a bench state input carries its status and marker as the collector reads them")
    func viewCarriesTheMarker() {
        let input = BenchPayloads.state(.away, session: "s7", seq: 42, sent: 123_456)
        let view = NullBridgeLayout.view(target: 7, input: input)
        #expect(String(decoding: view, as: UTF8.self)
            == #"{"user":"u7","status":"away","devices":[{"id":"d1","platform":"p42t123456","status":"away"}]}"#)
        view.withUnsafeBufferPointer { bytes in
            #expect(BenchPayloads.status(bytes) == .away)
            #expect(BenchPayloads.marker(bytes)?.seq == 42)
            #expect(BenchPayloads.marker(bytes)?.sent == 123_456)
        }
    }

    @Test("an input without a platform gives a view without one")
    func viewWithoutPlatform() {
        let view = NullBridgeLayout.view(target: 3, input: BenchPayloads.offline(session: "s3"))
        #expect(String(decoding: view, as: UTF8.self) == #"{"user":"u3","status":"offline","devices":[{"id":"d1","status":"offline"}]}"#)
    }

    @Test("state topics name their user; other topics name none")
    func stateTopics() {
        #expect(NullBridgeLayout.stateUser(NullBridgeLayout.stateTopic(0)) == 0)
        #expect(NullBridgeLayout.stateUser(NullBridgeLayout.stateTopic(9_876)) == 9_876)
        #expect(NullBridgeLayout.stateUser(BenchPayloads.stateTopic(5)) == nil)
        #expect(NullBridgeLayout.stateUser("bench/null/in/ux/d1/state") == nil)
        #expect(NullBridgeLayout.stateUser("bench/null/in/u12") == nil)
    }

    @Test("the ring's viewers of a target are itself and exactly the users listing it")
    func ringViewers() {
        let ring = BenchRing(users: 30, contacts: 10)
        for target in 0..<ring.users {
            let listing = (0..<ring.users).filter { user in (1...ring.contacts).map { (user + $0) % ring.users }.contains(target) }
            let viewers = ring.viewers(of: target)
            #expect(viewers.first == target)
            #expect(Set(viewers.dropFirst()) == Set(listing))
            #expect(viewers.count == ring.contacts + 1)
        }
        #expect(ring.viewers(of: 30) == [30])
    }
}

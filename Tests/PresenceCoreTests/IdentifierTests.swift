import PresenceCore
import Testing

@Suite("Identifiers follow the protocol's rule")
struct IdentifierTests {
    @Test("valid ids are accepted", arguments: ["a", "alice", "Bob.Smith", "x_1-2@host", "9lives", String(repeating: "a", count: 64)])
    func validIDsAreAccepted(text: String) {
        #expect(UserID(text)?.rawValue == text)
        #expect(DeviceID(text)?.rawValue == text)
    }

    @Test("invalid ids are rejected", arguments: ["", "+", "#", "a/b", "$SYS", "a b", "élan", ".dot", "-dash", "_u", "@at",
                                                  String(repeating: "a", count: 65), "a+b", "a#"])
    func invalidIDsAreRejected(text: String) {
        #expect(UserID(text) == nil)
        #expect(DeviceID(text) == nil)
    }

    @Test("ids are case-sensitive and ordered by their text")
    func idsAreCaseSensitive() {
        let upper: UserID = "Alice"
        let lower: UserID = "alice"
        let bob: UserID = "bob"
        #expect(upper != lower)
        #expect(lower < bob)
        #expect(lower.description == "alice")
    }
}

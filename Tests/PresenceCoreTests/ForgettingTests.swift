import PresenceCore
import Testing

/// Users nobody names are forgotten, and their indices reused: memory follows the lists.
@Suite("Forgetting users nobody names")
struct ForgettingTests {
    /// Forgets what can go, as the bridge does once no stored row names it.
    @discardableResult
    func forget(_ h: inout Harness) -> Int { h.engine.forgetUnlistedUsers { _ in false } }

    @Test("churned lists leave the interned ids bounded, and the slots too")
    func churnIsBounded() throws {
        var h = Harness()
        try h.state("alice", "phone", .online, session: "a1")
        for round in 0..<200 {
            let list = (0..<50).map { UserID("churn-\(round)-\($0)")! }
            h.contacts("alice", list)
            h.blocked("alice", [UserID("blocked-\(round)")!])
            forget(&h)
            #expect(h.engine.internedIDs <= 1 + 50 + 1 + 50 + 1, "round \(round): \(h.engine.internedIDs) ids")
        }
        // The last list (and block) and alice herself; the slots were reused, not appended.
        h.contacts("alice", [])
        h.blocked("alice", [])
        forget(&h)
        #expect(h.engine.internedIDs == 1)
        #expect(h.engine.userCount <= 1 + 2 * 51, "\(h.engine.userCount) slots")
    }

    @Test("a user named again after it was forgotten gets exactly the views of a user never seen")
    func forgottenAndNamedAgain() throws {
        var h = Harness()
        h.contacts("alice", ["bob"])
        #expect(h.view("alice", of: "bob") == View(user: "bob", status: .offline, devices: []))
        h.contacts("alice", ["carol"])
        #expect(forget(&h) == 1, "bob, whom nobody names any more")
        #expect(h.engine.userIndex(of: "bob") == nil)
        // dave's new id takes bob's old index; bob named again is new, and shows as never seen.
        h.watch("carol", ["dave"])
        h.contacts("alice", ["bob", "carol"])
        var fresh = Harness()
        fresh.contacts("alice", ["bob", "carol"])
        #expect(h.view("alice", of: "bob") == fresh.view("alice", of: "bob"))
        // And from then on it behaves as any user: it comes online, its viewers see it.
        try h.state("bob", "phone", .online, session: "b1")
        #expect(h.view("alice", of: "bob")?.status == .online)
        #expect(h.view("carol", of: "dave") == View(user: "dave", status: .offline, devices: []))
    }

    @Test("a participant, a blocked user and a listed user are kept; the caller may hold an index back")
    func whatIsKept() throws {
        var h = Harness()
        try h.state("erin", "phone", .online, session: "e1")
        try h.state("erin", "phone", .offline, session: "e1")  // a last seen: a participant
        h.blocked("alice", ["mallory"])
        h.contacts("alice", ["bob"])
        #expect(forget(&h) == 0)
        #expect(h.engine.internedIDs == 4)
        h.blocked("alice", [])
        h.contacts("alice", [])
        let bob = try #require(h.engine.userIndex(of: "bob"))
        #expect(h.engine.forgetUnlistedUsers { $0 == bob } == 1, "mallory goes, bob is held back")
        #expect(h.engine.userIndex(of: "bob") == bob)
        #expect(forget(&h) == 1)
        #expect(h.engine.userIndex(of: "erin") != nil && h.engine.userIndex(of: "alice") != nil)
    }

    @Test("the numbering changes say which indices were freed and given again, in order")
    func numberingChanges() {
        var h = Harness()
        h.contacts("alice", ["bob"])
        _ = h.engine.takeNumberingChanges()
        let bob = h.engine.userIndex(of: "bob")!
        h.contacts("alice", [])
        forget(&h)
        h.contacts("alice", ["carol"])
        #expect(h.engine.takeNumberingChanges() == [NumberingChange(index: bob, id: nil), NumberingChange(index: bob, id: "carol")])
        #expect(h.engine.takeNumberingChanges().isEmpty)
    }
}

import Foundation
import LocalBroker
import Testing

/// `scripts/add-user.sh`: a broker user name must be a valid user id, or the ACL's `%u` could
/// reach into another user's topics (docs/PROTOCOL.md, "Access control").
@Suite("The add-user script")
struct AddUserScriptTests {
    private func addUser(_ name: String, passwordFile: String) async throws -> Int32 {
        var environment = ProcessInfo.processInfo.environment
        environment["PASSWORD_FILE"] = passwordFile
        let script = try repositoryRoot() + "/scripts/add-user.sh"
        let process = try await ChildProcess.spawn("/bin/sh", [script, name, "secret"], environment: environment)
        return try await process.waitForExit(timeout: .seconds(30))
    }

    @Test("valid ids are added; names outside the id alphabet are refused and leave the file alone")
    func namesAreChecked() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("add-user-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/passwd"
        for name in ["alice", "bob@example.org", "a", "Z9._-@", String(repeating: "x", count: 64)] {
            #expect(try await addUser(name, passwordFile: file) == 0, "\(name) is a valid id")
        }
        let before = try String(contentsOfFile: file, encoding: .utf8)
        for name in ["a/b", "+", "#", "-x", "_x", "", "has space", "é", String(repeating: "x", count: 65)] {
            #expect(try await addUser(name, passwordFile: file) != 0, "'\(name)' must be refused")
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == before)
        #expect(before.split(separator: "\n").map { $0.split(separator: ":").first.map(String.init) ?? "" }.contains("bob@example.org"))
    }
}

import Foundation
import LocalBroker

/// A network namespace joined to this one by a veth pair, made by the test (as root) with names
/// unique to the run, and removed on every path by `with`: the bridge runs inside and reaches
/// the broker at `hostAddress`, so that taking the host's end of the pair down cuts exactly
/// the bridge's connection. With the link down packets are dropped silently (no RST, no ICMP):
/// a cut longer than the keepalive is a half-open connection for both ends.
struct IsolatedNetwork: Sendable {
    /// The namespace (`pbf-XXXX`).
    let name: String
    /// The veth end in this namespace (the one a cut takes down).
    let hostSide: String
    let innerSide: String
    /// The host end's address, which the broker listens on for the bridge.
    let hostAddress: String
    let innerAddress: String

    /// `ip netns exec NAME`: the launcher of a process inside.
    var launcher: [String] { ["ip", "netns", "exec", name] }

    /// Makes the namespace and the pair, runs `body`, and removes both whatever happens.
    static func with<T>(_ body: (IsolatedNetwork) async throws -> T) async throws -> T {
        let tag = String(UUID().uuidString.prefix(6)).lowercased()
        let subnet = Int.random(in: 1...250)
        let network = IsolatedNetwork(name: "pbf-\(tag)", hostSide: "pbfh-\(tag)", innerSide: "pbfi-\(tag)",
                                      hostAddress: "10.213.\(subnet).1", innerAddress: "10.213.\(subnet).2")
        do {
            try await network.create()
            let result = try await body(network)
            await network.remove()
            return result
        } catch {
            await network.remove()
            throw error
        }
    }

    private func create() async throws {
        try await ip("netns", "add", name)
        try await ip("link", "add", hostSide, "type", "veth", "peer", "name", innerSide)
        try await ip("link", "set", innerSide, "netns", name)
        try await ip("addr", "add", hostAddress + "/30", "dev", hostSide)
        try await ip("link", "set", hostSide, "up")
        try await ip("netns", "exec", name, "ip", "addr", "add", innerAddress + "/30", "dev", innerSide)
        try await ip("netns", "exec", name, "ip", "link", "set", innerSide, "up")
        try await ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
    }

    /// Takes the host's end down: nothing passes either way, and nobody is told.
    func cut() async throws { try await ip("link", "set", hostSide, "down") }

    /// Brings the host's end up again (its address and route come back with it).
    func restore() async throws {
        try await ip("link", "set", hostSide, "up")
        let addresses = try await run(["ip", "addr", "show", "dev", hostSide])
        if !addresses.contains(hostAddress) {
            try await ip("addr", "add", hostAddress + "/30", "dev", hostSide)
        }
    }

    /// Deleting the namespace deletes its end of the pair, and with it the host's end.
    private func remove() async {
        _ = try? await run(["ip", "link", "del", hostSide])
        _ = try? await run(["ip", "netns", "del", name])
    }

    private func ip(_ arguments: String...) async throws {
        _ = try await run(["ip"] + arguments)
    }

    private func run(_ command: [String]) async throws -> String {
        let process = try await ChildProcess.spawn(command[0], Array(command.dropFirst()))
        let status = try await process.waitForExit(timeout: .seconds(30))
        guard status == 0 else {
            throw ChildProcessError(message: "\(command.joined(separator: " ")) failed (\(status)): \(process.errorLines.joined(separator: " "))")
        }
        return process.outputLines.joined(separator: "\n")
    }
}

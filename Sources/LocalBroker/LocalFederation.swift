import Foundation

/// N mosquittos on free ports, federated by the links the project ships: the configs are made by
/// `scripts/make-federation.sh` from the broker list, each broker runs the shipped
/// `mosquitto.conf` with its `links-I.conf` and the generated `federation.acl`. With one broker
/// there are no links and the ACL is the shipped one. For tests and benchmarks.
public struct LocalFederation: Sendable {
    /// The brokers, in the order of `urls`.
    public let brokers: [LocalBroker]
    /// `mqtt://127.0.0.1:PORT` of each broker: the federation's broker list.
    public var urls: [String] { brokers.map(\.url) }

    /// Starts `size` brokers with the accounts `users` gives for the broker list (users are
    /// homed by it; the links' `presence-federation` account is added) and `extraACL` appended to
    /// the ACL; the generated configs go in `folder`. On a failure the brokers already started
    /// are stopped.
    public static func start(size: Int, folder: String, extraACL: String = "",
                             users: ([String]) throws -> [String: String]) async throws -> LocalFederation {
        let root = try repositoryRoot()
        let ports = try (0..<size).map { _ in try LocalBroker.freePort() }
        var accounts = try users(ports.map { "mqtt://127.0.0.1:\($0)" })
        var acl = root + "/mosquitto.acl"
        var links = Array(repeating: "", count: size)
        if size > 1 {
            let config = folder + "/federation-config"
            let urls = ports.map { "mqtt://127.0.0.1:\($0)" }
            let generator = try await ChildProcess.spawn("bash", [root + "/scripts/make-federation.sh", "--out", config] + urls)
            let status = try await generator.waitForExit(timeout: .seconds(30))
            guard status == 0 else { throw ChildProcessError(message: "make-federation.sh failed (\(status)): \(generator.errorLines)") }
            accounts["presence-federation"] = try String(contentsOfFile: config + "/federation-password", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            acl = config + "/federation.acl"
            links = try (0..<size).map { try String(contentsOfFile: config + "/links-\($0).conf", encoding: .utf8) }
        }
        var brokers: [LocalBroker] = []
        do {
            for index in 0..<size {
                brokers.append(try await LocalBroker.start(
                    configFile: root + "/mosquitto.conf", aclFile: acl, users: accounts, extraACL: extraACL,
                    extraConfig: links[index], port: ports[index]))
            }
        } catch {
            for broker in brokers { await broker.stop() }
            throw error
        }
        return LocalFederation(brokers: brokers)
    }

    /// Stops every broker and removes its folder.
    public func stop() async {
        for broker in brokers { await broker.stop() }
    }
}

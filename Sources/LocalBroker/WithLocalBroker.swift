import Foundation

/// Runs `body` with a fresh `LocalBroker` from the repository's `mosquitto.conf` and
/// `mosquitto.acl`; always stops it, also when `body` throws or the task is cancelled.
///
/// `extraConfig` is appended to the rewritten mosquitto config. The repository is found from this file's `#filePath` (walking up to `Package.swift`), or
/// from `PRESENCE_REPOSITORY_ROOT` when set.
public func withLocalBroker<T>(
    users: [String: String],
    extraACL: String = "",
    extraConfig: String = "",
    isolation: isolated (any Actor)? = #isolation,
    _ body: (LocalBroker) async throws -> T
) async throws -> T {
    let root = try repositoryRoot()
    let broker = try await LocalBroker.start(
        configFile: root + "/mosquitto.conf", aclFile: root + "/mosquitto.acl", users: users, extraACL: extraACL,
        extraConfig: extraConfig)
    let result: T
    do {
        result = try await body(broker)
    } catch {
        await broker.stop()
        throw error
    }
    await broker.stop()
    return result
}

/// The repository root: `PRESENCE_REPOSITORY_ROOT`, else the folder above this source file
/// that holds `Package.swift`.
public func repositoryRoot(filePath: String = #filePath) throws -> String {
    if let root = ProcessInfo.processInfo.environment["PRESENCE_REPOSITORY_ROOT"], !root.isEmpty {
        return root
    }
    var url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            return url.path
        }
        url.deleteLastPathComponent()
    }
    throw ChildProcessError(message: "no Package.swift above \(filePath); set PRESENCE_REPOSITORY_ROOT")
}

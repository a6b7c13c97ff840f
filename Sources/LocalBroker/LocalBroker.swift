import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mosquitto broker of its own for tests and benchmarks: the repository's shipped
/// `mosquitto.conf` and ACL, rewritten for a temporary folder and a free port.
///
/// The rewrite replaces the listeners (one: 127.0.0.1 and a free port; the shipped WebSockets
/// listener is left out), `password_file`, `acl_file`, `persistence_location` and `log_dest`
/// (a file); everything else is as shipped. Started as
/// root, mosquitto drops to the user `mosquitto`, so the folder is handed to that user.
public final class LocalBroker: Sendable {
    /// The TCP port the broker listens on (127.0.0.1).
    public let port: Int
    /// The temporary folder with the config, passwords, ACL, data and log.
    public let folder: String
    private let configPath: String
    private let process: Mutex<ChildProcess?>

    /// `mqtt://127.0.0.1:PORT`.
    public var url: String { "mqtt://127.0.0.1:\(port)" }

    /// The running mosquitto's process id (nil while stopped or killed).
    public var pid: Int32? { process.withLock { $0?.pid } }

    /// The broker's log file.
    public var logPath: String { folder + "/mosquitto.log" }

    private init(port: Int, folder: String, configPath: String, process: ChildProcess) {
        self.port = port
        self.folder = folder
        self.configPath = configPath
        self.process = Mutex(process)
    }

    /// Starts mosquitto with the repository's shipped mosquitto.conf + ACL, rewritten for a temp
    /// folder and a free port; returns once the port accepts connections and mosquitto has logged
    /// that it runs (a port taken meanwhile by another broker is retried with another one).
    ///
    /// `users` maps user names to passwords (hashed with `mosquitto_passwd -U`); `extraACL` is
    /// appended to the copied ACL (e.g. `user bench\ntopic readwrite bench/#`).
    public static func start(
        configFile: String, aclFile: String, users: [String: String], extraACL: String = ""
    ) async throws -> LocalBroker {
        try await start(configFile: configFile, aclFile: aclFile, users: users, extraACL: extraACL, extraConfig: "")
    }

    /// Like `start(configFile:aclFile:users:extraACL:)`, with `extraConfig` appended to the
    /// rewritten config (e.g. a TLS listener on a second port from `freePort()`).
    public static func start(
        configFile: String, aclFile: String, users: [String: String], extraACL: String, extraConfig: String
    ) async throws -> LocalBroker {
        try await start(configFile: configFile, aclFile: aclFile, users: users, extraACL: extraACL, extraConfig: extraConfig, port: nil)
    }

    /// Like `start(configFile:aclFile:users:extraACL:extraConfig:)` on a port chosen beforehand
    /// (`freePort()`), for brokers whose configs name each other's ports (a federation); nil
    /// picks a free one. A port taken meanwhile fails the start.
    public static func start(
        configFile: String, aclFile: String, users: [String: String], extraACL: String, extraConfig: String, port: Int?
    ) async throws -> LocalBroker {
        let fileManager = FileManager.default
        let folder = fileManager.temporaryDirectory.path + "/presence-broker-" + UUID().uuidString.prefix(8)
        try fileManager.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await start(
                    folder: folder, configFile: configFile, aclFile: aclFile, users: users, extraACL: extraACL,
                    extraConfig: extraConfig, port: port ?? freePort())
            } catch let error as PortTaken where attempt < 5 && port == nil {
                _ = error  // another broker took the port between freePort() and mosquitto's bind: retry
            } catch {
                try? fileManager.removeItem(atPath: folder)
                throw error
            }
        }
    }

    private static func start(
        folder: String, configFile: String, aclFile: String, users: [String: String], extraACL: String,
        extraConfig: String, port: Int
    ) async throws -> LocalBroker {
        let shipped = try String(contentsOfFile: configFile, encoding: .utf8)
        let acl = try String(contentsOfFile: aclFile, encoding: .utf8)
        let config = rewrite(config: shipped, folder: folder, port: port) + extraConfig + "\n"
        let configPath = folder + "/mosquitto.conf"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try (acl + "\n" + extraACL + "\n").write(toFile: folder + "/acl", atomically: true, encoding: .utf8)
        let passwords = users.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)\n" }.joined()
        try passwords.write(toFile: folder + "/passwd", atomically: true, encoding: .utf8)
        if !users.isEmpty {
            let hasher = try await ChildProcess.spawn("mosquitto_passwd", ["-U", folder + "/passwd"])
            let status = try await hasher.waitForExit(timeout: .seconds(30))
            guard status == 0 else {
                throw ChildProcessError(message: "mosquitto_passwd -U failed (\(status)): \(hasher.errorLines)")
            }
        }
        try handToBrokerUser(folder)
        let process = try await launch(configPath: configPath, port: port, folder: folder)
        return LocalBroker(port: port, folder: folder, configPath: configPath, process: process)
    }

    /// mosquitto could not bind its port (taken by someone else meanwhile).
    private struct PortTaken: Error {}

    /// SIGTERM, SIGKILL after a short wait; removes the temp folder.
    public func stop() async {
        await stopProcess()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Stops and starts again on the same port and data folder (persistence kept).
    public func restart() async throws {
        await stopProcess()
        let process: ChildProcess
        do {
            process = try await Self.launch(configPath: configPath, port: port, folder: folder)
        } catch is PortTaken {
            throw ChildProcessError(message: "cannot restart mosquitto: port \(port) was taken meanwhile")
        }
        self.process.withLock { $0 = process }
    }

    /// Kills the broker with SIGKILL (a crash: nothing saved since its last autosave); the
    /// folder stays, and `restart()` starts it again from its persistence file.
    public func kill() async {
        let process: ChildProcess? = self.process.withLock { stored in
            defer { stored = nil }
            return stored
        }
        await process?.kill()
    }

    /// Asks the broker to write its persistence file now (SIGUSR1), as its autosave would, and
    /// waits until the file is newer than before.
    public func save(timeout: Duration = .seconds(10)) async throws {
        let before = persistenceFileDate
        process.withLock { $0 }?.send(signal: SIGUSR1)
        try await waitUntil(timeout: timeout, "mosquitto saves its persistence file") {
            guard let now = persistenceFileDate else { return false }
            return before.map { now > $0 } ?? true
        }
    }

    /// Deletes the persistence file: the next `restart()` starts with nothing retained.
    public func deletePersistence() {
        try? FileManager.default.removeItem(atPath: persistenceFile)
    }

    private var persistenceFile: String { folder + "/data/mosquitto.db" }

    private var persistenceFileDate: Date? {
        (try? FileManager.default.attributesOfItem(atPath: persistenceFile))?[.modificationDate] as? Date
    }

    /// Stops the broker process only (the folder stays, `restart()` works afterwards).
    public func stopProcess() async {
        let process: ChildProcess? = self.process.withLock { stored in
            let process = stored
            stored = nil
            return process
        }
        // mosquitto saves its retained messages at SIGTERM: millions of them take longer than a
        // few seconds, and a SIGKILL mid-save leaves the previous autosave (a crash, not a stop).
        if let process { await process.terminate(grace: .seconds(120)) }
    }

    /// The broker's log so far (for failure messages).
    public func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    // MARK: - Helpers

    private static func launch(configPath: String, port: Int, folder: String) async throws -> ChildProcess {
        let logPath = folder + "/mosquitto.log"
        let logBefore = (try? String(contentsOfFile: logPath, encoding: .utf8))?.utf8.count ?? 0
        let process = try await ChildProcess.spawn("mosquitto", ["-c", configPath])
        // A broker restarted on a large persistence file (millions of retained messages) reads it
        // all before it listens: a minute and more on 2 cores.
        let deadline = ContinuousClock.now + .seconds(180)
        do {
            while true {
                // Ready when the port accepts connections AND our mosquitto says it runs (it logs that
                // after opening its listeners): the port alone may belong to another broker.
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                let ours = String(log.utf8.dropFirst(logBefore)) ?? ""
                if ours.contains(" running"), process.exitStatus == nil, acceptsConnections(port: port) { return process }
                if let status = process.exitStatus {
                    if ours.contains("Address already in use") { throw PortTaken() }
                    throw ChildProcessError(message: "mosquitto exited with \(status) at start: \(process.errorLines) \(ours)")
                }
                if ContinuousClock.now > deadline {
                    throw ChildProcessError(message: "mosquitto did not listen on port \(port) within 180 s")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        } catch {
            // Also when the task is cancelled while the broker starts: it must not outlive the start.
            await process.terminate()
            throw error
        }
    }

    /// The shipped config with the listener, files and logging pointed at `folder`.
    static func rewrite(config: String, folder: String, port: Int) -> String {
        let replaced: Set<String> = [
            "listener", "port", "bind_address", "password_file", "acl_file", "persistence_location",
            "persistence_file", "log_dest", "pid_file", "user",
        ]
        var lines: [String] = []
        // A listener's own settings (e.g. `protocol websockets`) follow its `listener` line up to
        // the next blank line: they go with it, or they would apply to mosquitto's default listener.
        var inListenerBlock = false
        for line in config.split(separator: "\n", omittingEmptySubsequences: false) {
            let key = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
            if key.isEmpty { inListenerBlock = false }
            if key == "listener" { inListenerBlock = true }
            if replaced.contains(key) || (inListenerBlock && !key.hasPrefix("#")) {
                lines.append("# (LocalBroker) " + line)
            } else {
                lines.append(String(line))
            }
        }
        lines.append(contentsOf: [
            "",
            "# Rewritten by LocalBroker for a temporary folder and a free port.",
            "listener \(port) 127.0.0.1",
            "password_file \(folder)/passwd",
            "acl_file \(folder)/acl",
            "persistence_location \(folder)/data/",
            "log_dest file \(folder)/mosquitto.log",
            "",
        ])
        return lines.joined(separator: "\n")
    }

    /// As root, mosquitto drops to the user `mosquitto`: it must read the files and write the data and log.
    private static func handToBrokerUser(_ folder: String) throws {
        guard geteuid() == 0, let entry = getpwnam("mosquitto") else { return }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        let fileManager = FileManager.default
        var paths = [folder]
        if let contents = fileManager.enumerator(atPath: folder) {
            for case let relative as String in contents { paths.append(folder + "/" + relative) }
        }
        for path in paths where chown(path, uid, gid) != 0 {
            throw ChildProcessError(message: "chown \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// A port that was free a moment ago: bind 127.0.0.1:0 and read the number back.
    public static func freePort() throws -> Int {
        for _ in 0..<20 {
            let port = try unusedPort()
            // Never hand out the same port twice in this process (brokers of parallel tests).
            if handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
        }
        return try unusedPort()
    }

    private static let handedOutPorts = Mutex<Set<Int>>([])

    private static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChildProcessError(message: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw ChildProcessError(message: "bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// true when a TCP connection to 127.0.0.1:port succeeds.
    static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

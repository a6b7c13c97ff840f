import LocalBroker
import Logging
import MQTT
import Synchronization

/// Users every integration test's broker knows, and the ACL lines they need beyond the shipped ACL.
enum TestBroker {
    static let users = [
        "alice": "alice-pw", "bob": "bob-pw", "presence-bridge": "bridge-pw", "tester": "tester-pw",
    ]
    static let extraACL = """
        user tester
        topic readwrite test/#
        """
    static let prefix = "presence/v1"

    /// Runs `body` with a fresh broker that knows `users`.
    static func run<T>(
        extraConfig: String = "", isolation: isolated (any Actor)? = #isolation, _ body: (LocalBroker) async throws -> T
    ) async throws -> T {
        try await withLocalBroker(users: users, extraACL: extraACL, extraConfig: extraConfig, body)
    }

    /// A client of `broker` logged in as `user` (its password from `users`).
    static func client(
        _ broker: LocalBroker, user: String, id: String? = nil, version: MQTTProtocolVersion = .v5,
        password: String? = nil, will: MQTTMessage? = nil, cleanStart: Bool = true,
        configure: (inout MQTTConfiguration) -> Void = { _ in }
    ) throws -> MQTTClient {
        var configuration = try MQTTConfiguration(url: broker.url, clientID: id ?? "\(user)-\(UInt32.random(in: 0...UInt32.max))")
        configuration.username = user
        configuration.password = password ?? users[user]
        configuration.protocolVersion = version
        configuration.will = will
        configuration.cleanStart = cleanStart
        configuration.reconnect.maximumDelay = .milliseconds(500)
        configure(&configuration)
        var logger = Logger(label: "test.\(user)")
        logger.logLevel = .notice
        return MQTTClient(configuration: configuration, logger: logger)
    }

    /// A connected client.
    static func connected(
        _ broker: LocalBroker, user: String, id: String? = nil, version: MQTTProtocolVersion = .v5,
        will: MQTTMessage? = nil, cleanStart: Bool = true
    ) async throws -> MQTTClient {
        let client = try client(broker, user: user, id: id, version: version, will: will, cleanStart: cleanStart)
        try await client.connect()
        return client
    }
}

/// Collects a client's messages on a task of its own, for tests to wait on.
final class Locked<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

final class Inbox: Sendable {
    private let storage = Locked<[MQTTMessage]>([])
    private let consumer = Mutex<Task<Void, Never>?>(nil)

    init(_ client: MQTTClient) {
        let storage = storage
        let task = Task {
            for await message in client.messages {
                storage.withLock { $0.append(message) }
            }
        }
        consumer.withLock { $0 = task }
    }

    deinit {
        consumer.withLock { $0?.cancel() }
    }

    /// Every message so far.
    var all: [MQTTMessage] { storage.withLock { $0 } }

    /// The messages on `topic` so far.
    func on(_ topic: String) -> [MQTTMessage] { storage.withLock { $0.filter { $0.topic == topic } } }

    /// How many messages so far.
    var count: Int { storage.withLock { $0.count } }

    /// Waits until a message on `topic` arrived and returns the first one.
    @discardableResult
    func first(on topic: String, timeout: Duration = .seconds(30)) async throws -> MQTTMessage {
        try await waitUntil(timeout: timeout, "a message on \(topic)") { !on(topic).isEmpty }
        return on(topic)[0]
    }
}

/// The bytes of a string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The events of a client so far, collected on a task of its own.
final class EventLog: Sendable {
    private let storage = Locked<[MQTTConnectionEvent]>([])
    private let consumer = Mutex<Task<Void, Never>?>(nil)

    init(_ client: MQTTClient) {
        let storage = storage
        let task = Task {
            for await event in client.connectionEvents {
                storage.withLock { $0.append(event) }
            }
        }
        consumer.withLock { $0 = task }
    }

    deinit {
        consumer.withLock { $0?.cancel() }
    }

    /// Every event so far.
    var all: [MQTTConnectionEvent] { storage.withLock { $0 } }
}

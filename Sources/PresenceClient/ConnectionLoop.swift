import Logging
import MQTT
import PresenceCore
import PresenceWire
import Synchronization

/// The shared half of a device's or viewer's connection: the event inbox, the observable
/// status and the viewer state. The other half, `ConnectionRunner`, owns the MQTT clients and
/// runs in one task, handling the inbox's events one at a time: that single writer is what keeps
/// the publishes of a connection in order (a state change never overtakes an older one).
final class ConnectionLoop: Sendable {
    let configuration: PresenceConfiguration
    let role: DeviceRole?
    let topics: UserTopics
    let viewer: ViewerState
    let status = Broadcaster<ConnectionStatus, ConnectionStatus>(.idle)
    let logger: Logger
    /// The client id of every connection (stable for a device).
    let clientID: String
    /// The status the device publishes until told otherwise.
    let initialStatus: DeviceStatus
    private let inbox: AsyncStream<LoopEvent>.Continuation
    /// The inbox's stream and the runner's task; the task is started by the first `start()`.
    private let runner: Mutex<(stream: AsyncStream<LoopEvent>?, task: Task<Void, Never>?)>

    init(configuration: PresenceConfiguration, role: DeviceRole?, initialStatus: DeviceStatus, logger: Logger) {
        self.configuration = configuration
        self.role = role
        self.initialStatus = initialStatus
        self.logger = logger
        topics = TopicLayout(prefix: configuration.prefix).topics(of: configuration.user)
        viewer = ViewerState(topics: topics, logger: logger)
        if let explicit = configuration.clientID {
            clientID = explicit
        } else if let role {
            clientID = "\(configuration.user.rawValue)-\(role.device.rawValue)"
        } else {
            clientID = "\(configuration.user.rawValue)-viewer-\(SessionToken.make().prefix(8))"
        }
        let (stream, continuation) = AsyncStream<LoopEvent>.makeStream(bufferingPolicy: .unbounded)
        inbox = continuation
        runner = Mutex((stream, nil))
    }

    /// Hands `event` to the runner; answers it at once (as stopped) when the runner has ended.
    func post(_ event: LoopEvent) {
        if case .terminated = inbox.yield(event) { event.reject() }
    }

    /// Posts an event carrying a continuation and waits for its answer.
    func ask<T: Sendable>(_ make: (CheckedContinuation<T, Never>) -> LoopEvent) async -> T {
        launchRunner()
        return await withCheckedContinuation { continuation in post(make(continuation)) }
    }

    /// Ends the inbox: later events are answered as stopped.
    func closeInbox() { inbox.finish() }

    /// The runner's task, started once; commands posted before are handled in order.
    private func launchRunner() {
        runner.withLock { runner in
            guard let stream = runner.stream else { return }
            runner.stream = nil
            let loop = self
            runner.task = Task { await ConnectionRunner(loop: loop).run(stream) }
        }
    }

    /// Sets the observable status, telling subscribers only of a change; `.stopped` ends them.
    func setStatus(_ new: ConnectionStatus) {
        status.update { current in
            guard current != new else { return ([], ()) }
            current = new
            return ([new], ())
        }
        if new == .stopped { status.finish() }
    }

    /// The owner went away without `stop()`: go offline gracefully in the background.
    func abandon() {
        let started = runner.withLock { $0.task != nil }
        if started { post(.stop(.graceful, nil)) } else { closeInbox(); viewer.finish(); status.finish() }
    }
}

/// Random session tokens: 16 lowercase hex digits, new for every connection.
enum SessionToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

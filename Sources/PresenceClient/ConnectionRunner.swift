import Logging
import MQTT
import PresenceCore
import PresenceWire
import Synchronization

/// The one task that owns a device's (or viewer's) MQTT client, for the runner's whole life:
/// the MQTT module reconnects it by `PresenceConfiguration.reconnect`, and gives every
/// connection a will of its own (`makeWill`), naming a fresh session.
///
/// Rules: each connection gets a fresh session; on connect the device publishes its state
/// (retained, QoS 1, with session and platform), subscribes to its views, its errors and its own
/// user-level inputs (read back to confirm settings and lists), and sends what is not confirmed
/// yet; it heartbeats every interval while connected; the first connection's failure goes to
/// the caller of `start()`; a lost connection comes back by the MQTT client's back-off until
/// `stop`. Not Sendable: it lives in its task.
final class ConnectionRunner {
    private let loop: ConnectionLoop
    private var client: MQTTClient?
    /// The tasks that read the client's streams and tick the heartbeats.
    private var tasks: [Task<Void, Never>] = []
    /// True while a connection is up and its presence restored.
    private var connected = false
    /// The session of the connection up now (always nil for a viewer).
    private var session: String?
    /// Reconnection attempts failed since the last connection was lost.
    private var failures = 0
    private var startWaiter: CheckedContinuation<Result<Void, PresenceClientError>, Never>?
    private var started = false
    private var desired: DesiredPresence
    /// Set when the runner has stopped for good (a stop, or a loss with reconnection disabled).
    private var finished = false

    init(loop: ConnectionLoop) {
        self.loop = loop
        desired = DesiredPresence(status: loop.initialStatus)
    }

    private var logger: Logger { loop.logger }

    /// Handles events until a stop, then answers whatever is still queued.
    func run(_ events: AsyncStream<LoopEvent>) async {
        var iterator = events.makeAsyncIterator()
        while let event = await iterator.next() {
            switch event {
            case .start(let waiter):
                start(waiter)
            case .command(let command, let waiter):
                waiter.resume(returning: await handle(command))
            case .firstConnection(let result):
                await firstConnectionEnded(result)
            case .connected(let session):
                await established(session: session)
            case .connectionLost(let reason):
                await lost(reason: reason)
            case .attemptFailed(let reason):
                guard started, !connected, startWaiter == nil else { break }
                failures += 1
                loop.setStatus(.reconnecting(attempt: failures, reason: reason))
            case .heartbeatDue:
                await heartbeat()
            case .echo(let topic, let payload):
                confirm(topic, payload)
            case .drop(let waiter):
                client?.dropConnection()
                waiter.resume()
            case .stop(let mode, let waiter):
                await stop(mode)
                waiter?.resume()
            }
            if finished {
                loop.closeInbox()
                while let late = await iterator.next() { late.reject() }
                return
            }
        }
    }

    // MARK: - Connecting

    /// Makes the one client and its tasks, and opens the first connection in a task of its own,
    /// so that commands are still answered while it hangs.
    private func start(_ waiter: CheckedContinuation<Result<Void, PresenceClientError>, Never>) {
        guard !started else {
            waiter.resume(returning: .failure(.alreadyStarted))
            return
        }
        let sessions = WillSessions()
        let configuration: MQTTConfiguration
        do {
            configuration = try loop.configuration.mqtt(clientID: loop.clientID, makeWill: willMaker(sessions))
        } catch {
            waiter.resume(returning: .failure(.connectionFailed(error)))
            return
        }
        started = true
        startWaiter = waiter
        loop.setStatus(.connecting)
        let client = MQTTClient(configuration: configuration, logger: loop.logger)
        self.client = client
        let loop = self.loop
        tasks.append(Task {
            for await event in client.connectionEvents {
                switch event {
                case .connected: loop.post(.connected(session: sessions.latest))
                case .disconnected(let reason): loop.post(.connectionLost(reason: reason))
                case .attemptFailed(let reason): loop.post(.attemptFailed(reason: reason))
                }
            }
        })
        tasks.append(Task {
            for await message in client.messages {
                if loop.topics.isOwnUserInput(message.topic) {
                    loop.post(.echo(topic: message.topic, payload: message.payload))
                } else {
                    loop.viewer.handle(message)
                }
            }
        })
        if let role = loop.role {
            let interval = role.heartbeatInterval
            tasks.append(Task {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: interval) } catch { return }
                    loop.post(.heartbeatDue)
                }
            })
        }
        tasks.append(Task {
            do throws(MQTTError) {
                try await client.connect()
                loop.post(.firstConnection(.success(())))
            } catch {
                loop.post(.firstConnection(.failure(error)))
            }
        })
    }

    /// A device's will for each connection: `offline` with a session of its own, noted in
    /// `sessions` (the MQTT client calls it on its network thread before each attempt).
    private func willMaker(_ sessions: WillSessions) -> (@Sendable () -> MQTTMessage?)? {
        guard let role = loop.role else { return nil }
        let topic = loop.topics.state(role.device)
        return {
            let session = SessionToken.make()
            sessions.latest = session
            return MQTTMessage(topic: topic, payload: InputEncoder.state(DeviceState(status: .offline, session: session, isLost: true)),
                               qos: .atLeastOnce, retain: true)
        }
    }

    /// The first connection failed: the caller hears why at once, and nothing is retried.
    private func firstConnectionEnded(_ result: Result<Void, MQTTError>) async {
        guard case .failure(let error) = result, let waiter = startWaiter else { return }
        startWaiter = nil
        started = false
        for task in tasks { task.cancel() }
        tasks.removeAll()
        await client?.disconnect()
        client = nil
        loop.setStatus(.idle)
        waiter.resume(returning: .failure(.connectionFailed(error)))
    }

    /// A connection is up: publish the presence, subscribe, send what waited.
    private func established(session: String?) async {
        guard started, let client else { return }
        connected = true
        self.session = session
        failures = 0
        do {
            if let role = loop.role {
                try await client.publish(stateMessage(role, session: session))
            }
            var filters = [loop.topics.errorTopic, loop.topics.ownInputFilter]
            if loop.configuration.subscribesToViews { filters.insert(loop.topics.viewFilter, at: 0) }
            let granted = try await client.subscribe(filters, qos: .atLeastOnce)
            if granted.contains(where: { $0 == nil }) {
                logger.warning("subscription refused by the broker", metadata: ["filters": "\(filters)"])
            }
            try await sendPending(client)
        } catch {
            // The event task reports the loss; what was not sent stays pending.
            logger.warning("connection failed while restoring presence", metadata: ["error": "\(error)"])
        }
        loop.setStatus(.connected(session: session))
        if let waiter = startWaiter {
            startWaiter = nil
            waiter.resume(returning: .success(()))
        }
    }

    /// Sends the settings and lists not yet confirmed, and the activity still in force.
    private func sendPending(_ client: MQTTClient) async throws(MQTTError) {
        if let update = desired.pendingSettings {
            try await client.publish(retained(loop.topics.userInput(.settings), InputEncoder.settings(update)))
        }
        for kind in ListKind.allCases {
            guard let list = desired.pendingLists[kind] else { continue }
            try await client.publish(retained(loop.topics.userInput(kind.input), InputEncoder.userList(list)))
        }
        if let role = loop.role, let (activity, ttl) = desired.activityToRestore(now: .now) {
            try await client.publish(MQTTMessage(
                topic: loop.topics.activity(role.device),
                payload: InputEncoder.activity(activity?.leased(ttl))))
            desired.activityPending = false
        }
    }

    private func lost(reason: String) async {
        guard connected else { return }
        connected = false
        session = nil
        logger.notice("connection lost", metadata: ["reason": "\(reason)"])
        guard loop.configuration.reconnect.enabled else {
            await stop(.abort)
            return
        }
        failures = 0
        loop.setStatus(.reconnecting(attempt: 0, reason: reason))
    }

    private func heartbeat() async {
        guard connected, let client, let role = loop.role else { return }
        try? await client.publish(MQTTMessage(
            topic: loop.topics.heartbeat(role.device), payload: InputEncoder.heartbeat(session: session)))
    }

    // MARK: - Commands

    private func handle(_ command: Command) async -> Result<Delivery, PresenceClientError> {
        switch command {
        case .status(let status):
            guard let role = loop.role else { return .failure(.invalidArgument("a viewer has no device status")) }
            desired.status = status
            guard connected, let client else { return .success(.deferred) }
            return await send(stateMessage(role, session: session), on: client)
        case .activity(let activity):
            guard let role = loop.role else { return .failure(.invalidArgument("a viewer has no activity")) }
            desired.activity = activity
            desired.activitySetAt = .now
            desired.activityPending = true
            guard connected, let client else { return .success(.deferred) }
            let message = MQTTMessage(
                topic: loop.topics.activity(role.device),
                payload: InputEncoder.activity(activity))
            let result = await send(message, on: client)
            if case .success(.sent) = result { desired.activityPending = false }
            return result
        case .settings(let update):
            desired.queue(update)
            guard connected, let client, let pending = desired.pendingSettings else { return .success(.deferred) }
            return await send(retained(loop.topics.userInput(.settings), InputEncoder.settings(pending)), on: client)
        case .list(let kind, let users):
            desired.pendingLists[kind] = users
            guard connected, let client else { return .success(.deferred) }
            return await send(retained(loop.topics.userInput(kind.input), InputEncoder.userList(users)), on: client)
        }
    }

    /// The broker holds `payload` on `topic`: a pending setting or list equal to it is confirmed.
    private func confirm(_ topic: String, _ payload: [UInt8]) {
        if topic == loop.topics.userInput(.settings),
           let pending = desired.pendingSettings, InputEncoder.settings(pending) == payload {
            desired.pendingSettings = nil
        }
        for kind in ListKind.allCases where topic == loop.topics.userInput(kind.input) {
            if let list = desired.pendingLists[kind], InputEncoder.userList(list) == payload {
                desired.pendingLists[kind] = nil
            }
        }
    }

    /// Publishes on the live connection; a connection that just dropped makes it `.deferred`.
    private func send(_ message: MQTTMessage, on client: MQTTClient) async -> Result<Delivery, PresenceClientError> {
        do {
            try await client.publish(message)
            return .success(.sent)
        } catch {
            logger.debug("publish deferred", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
            return .success(.deferred)
        }
    }

    private func stateMessage(_ role: DeviceRole, session: String?) -> MQTTMessage {
        retained(loop.topics.state(role.device),
                 InputEncoder.state(DeviceState(status: desired.status, session: session, platform: role.platform)))
    }

    private func retained(_ topic: String, _ payload: [UInt8]) -> MQTTMessage {
        MQTTMessage(topic: topic, payload: payload, qos: .atLeastOnce, retain: true)
    }

    // MARK: - Stopping

    /// Ends for good: graceful = `offline` with the session, acknowledged, then DISCONNECT;
    /// abort = socket closed without DISCONNECT (the broker publishes the will).
    private func stop(_ mode: StopMode) async {
        finished = true
        started = false
        for task in tasks { task.cancel() }
        tasks.removeAll()
        if let client {
            self.client = nil
            switch mode {
            case .graceful:
                if connected, let role = loop.role {
                    let offline = retained(loop.topics.state(role.device),
                                           InputEncoder.state(DeviceState(status: .offline, session: session, platform: role.platform)))
                    if (try? await client.publish(offline)) != nil {
                        await client.waitForPublishes()
                    }
                }
                await client.disconnect()
            case .abort:
                await client.abortConnection()
            }
        }
        connected = false
        if let waiter = startWaiter {
            startWaiter = nil
            waiter.resume(returning: .failure(.stopped))
        }
        loop.setStatus(.stopped)
        loop.viewer.finish()
    }
}

/// The session named by the will of the latest connection attempt: written on the MQTT
/// network thread before each attempt, read when that connection reports `.connected` (no
/// newer attempt can start while it is up).
final class WillSessions: Sendable {
    private let value = Mutex<String?>(nil)

    var latest: String? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

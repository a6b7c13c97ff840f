import Logging
import MQTT
import PresenceCore
import PresenceWire

/// The one task that owns a device's (or viewer's) MQTT connections, one `MQTTClient` per
/// connection: libmosquitto fixes the will at connect time, and every connection of a device
/// has its own session in its will.
///
/// Rules: each connection gets a fresh session; on connect the device publishes its state
/// (retained, QoS 1, with session and platform), subscribes to its views, its errors and its own
/// user-level inputs (read back to confirm settings and lists), and sends what is not confirmed
/// yet; it heartbeats every interval; a lost connection is replaced after the policy's back-off,
/// forever, until `stop`. Not Sendable: it lives in its task.
final class ConnectionRunner {
    private let loop: ConnectionLoop
    /// Numbers connection attempts; events of an older generation are stale.
    private var generation = 0
    /// The session of the attempt in flight.
    private var attemptSession: String?
    private var link: Link?
    /// Failed attempts since the last connection was lost.
    private var failures = 0
    private var lastFailure = ""
    private var startWaiter: CheckedContinuation<Result<Void, PresenceClientError>, Never>?
    private var started = false
    private var desired: DesiredPresence
    /// Set when the runner has stopped for good (a stop, or a loss with reconnection disabled).
    private var finished = false

    /// One live connection and the tasks that serve it.
    private struct Link {
        let client: MQTTClient
        let session: String?
        let generation: Int
        let tasks: [Task<Void, Never>]

        func cancelTasks() {
            for task in tasks { task.cancel() }
        }
    }

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
            case .attemptFinished(let generation, let result):
                await attemptFinished(generation, result)
            case .connectionLost(let generation, let reason):
                await lost(generation, reason: reason)
            case .heartbeatDue(let generation):
                await heartbeat(generation)
            case .echo(let topic, let payload):
                confirm(topic, payload)
            case .retryDue(let generation):
                if generation == self.generation, link == nil, started { beginAttempt() }
            case .drop(let waiter):
                if let link { await link.client.abortConnection() }
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

    private func start(_ waiter: CheckedContinuation<Result<Void, PresenceClientError>, Never>) {
        guard !started else {
            waiter.resume(returning: .failure(.alreadyStarted))
            return
        }
        started = true
        startWaiter = waiter
        loop.setStatus(.connecting)
        beginAttempt()
    }

    /// Opens a new client (a new session, its will) in a task of its own, so that commands are
    /// still answered while a connection attempt hangs.
    private func beginAttempt() {
        generation += 1
        let generation = generation
        let session = loop.role.map { _ in SessionToken.make() }
        attemptSession = session
        var will: MQTTMessage?
        if let role = loop.role {
            will = MQTTMessage(
                topic: loop.topics.state(role.device),
                payload: InputEncoder.state(DeviceState(status: .offline, session: session, isLost: true)),
                qos: .atLeastOnce, retain: true)
        }
        let configuration: MQTTConfiguration
        do {
            configuration = try loop.configuration.mqtt(clientID: loop.clientID, will: will)
        } catch {
            loop.post(.attemptFinished(generation: generation, result: .failure(error)))
            return
        }
        let loop = self.loop
        Task {
            let client = MQTTClient(configuration: configuration, logger: loop.logger)
            do throws(MQTTError) {
                try await client.connect()
                loop.post(.attemptFinished(generation: generation, result: .success(client)))
            } catch {
                await client.disconnect()
                loop.post(.attemptFinished(generation: generation, result: .failure(error)))
            }
        }
    }

    private func attemptFinished(_ generation: Int, _ result: Result<MQTTClient, MQTTError>) async {
        guard generation == self.generation, link == nil, started else {
            if case .success(let client) = result { await client.disconnect() }
            return
        }
        switch result {
        case .failure(let error):
            if let waiter = startWaiter {
                // The first connection is not retried: the caller hears why at once.
                startWaiter = nil
                started = false
                loop.setStatus(.idle)
                waiter.resume(returning: .failure(.connectionFailed(error)))
                return
            }
            failures += 1
            lastFailure = error.message
            loop.setStatus(.reconnecting(attempt: failures, reason: error.message))
            scheduleRetry()
        case .success(let client):
            failures = 0
            await established(client, session: attemptSession, generation: generation)
        }
    }

    /// A connection is up: serve it, publish the presence, subscribe, send what waited.
    private func established(_ client: MQTTClient, session: String?, generation: Int) async {
        let loop = self.loop
        var tasks: [Task<Void, Never>] = []
        tasks.append(Task {
            var reason = "connection closed"
            for await event in client.connectionEvents {
                if case .disconnected(let why) = event {
                    reason = why
                    break
                }
            }
            loop.post(.connectionLost(generation: generation, reason: reason))
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
                    loop.post(.heartbeatDue(generation: generation))
                }
            })
        }
        link = Link(client: client, session: session, generation: generation, tasks: tasks)
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
            // The watcher task reports the loss; what was not sent stays pending.
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

    private func scheduleRetry() {
        let delay = loop.configuration.reconnect.delay(forAttempt: failures + 1)
        let generation = generation
        let loop = self.loop
        Task {
            try? await Task.sleep(for: delay)
            loop.post(.retryDue(generation: generation))
        }
    }

    private func lost(_ generation: Int, reason: String) async {
        guard let link, link.generation == generation else { return }
        link.cancelTasks()
        self.link = nil
        await link.client.disconnect()
        logger.notice("connection lost", metadata: ["reason": "\(reason)"])
        guard loop.configuration.reconnect.enabled else {
            await stop(.abort)
            return
        }
        failures = 0
        loop.setStatus(.reconnecting(attempt: 0, reason: reason))
        // A new generation, so that nothing of the lost connection is taken for the next one.
        self.generation += 1
        scheduleRetry()
    }

    private func heartbeat(_ generation: Int) async {
        guard let link, link.generation == generation, let role = loop.role else { return }
        try? await link.client.publish(MQTTMessage(
            topic: loop.topics.heartbeat(role.device), payload: InputEncoder.heartbeat(session: link.session)))
    }

    // MARK: - Commands

    private func handle(_ command: Command) async -> Result<Delivery, PresenceClientError> {
        switch command {
        case .status(let status):
            guard let role = loop.role else { return .failure(.invalidArgument("a viewer has no device status")) }
            desired.status = status
            guard let link else { return .success(.deferred) }
            return await send(stateMessage(role, session: link.session), on: link)
        case .activity(let activity):
            guard let role = loop.role else { return .failure(.invalidArgument("a viewer has no activity")) }
            desired.activity = activity
            desired.activitySetAt = .now
            desired.activityPending = true
            guard let link else { return .success(.deferred) }
            let message = MQTTMessage(
                topic: loop.topics.activity(role.device),
                payload: InputEncoder.activity(activity))
            let result = await send(message, on: link)
            if case .success(.sent) = result { desired.activityPending = false }
            return result
        case .settings(let update):
            desired.queue(update)
            guard let link, let pending = desired.pendingSettings else { return .success(.deferred) }
            return await send(retained(loop.topics.userInput(.settings), InputEncoder.settings(pending)), on: link)
        case .list(let kind, let users):
            desired.pendingLists[kind] = users
            guard let link else { return .success(.deferred) }
            return await send(retained(loop.topics.userInput(kind.input), InputEncoder.userList(users)), on: link)
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
    private func send(_ message: MQTTMessage, on link: Link) async -> Result<Delivery, PresenceClientError> {
        do {
            try await link.client.publish(message)
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
        generation += 1
        started = false
        if let link {
            link.cancelTasks()
            self.link = nil
            switch mode {
            case .graceful:
                if let role = loop.role {
                    let offline = retained(loop.topics.state(role.device),
                                           InputEncoder.state(DeviceState(status: .offline, session: link.session, platform: role.platform)))
                    if (try? await link.client.publish(offline)) != nil {
                        await link.client.waitForPublishes()
                    }
                }
                await link.client.disconnect()
            case .abort:
                await link.client.abortConnection()
            }
        }
        if let waiter = startWaiter {
            startWaiter = nil
            waiter.resume(returning: .failure(.stopped))
        }
        loop.setStatus(.stopped)
        loop.viewer.finish()
    }
}

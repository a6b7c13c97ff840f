import CMosquitto
import Foundation
import Logging
import Synchronization

/// `mosquitto_lib_init` exactly once per process: its reference count is not atomic.
/// It is never cleaned up (the process's end does that).
private let libraryInitialization: Int32 = mosquitto_lib_init()

/// One libmosquitto handle, its network thread and the state they share.
///
/// Threads, and which callback runs where:
/// - The network thread (`NetworkThread`, one per `connect()` until the client stops) runs
///   `mosquitto_connect_bind_v5`, `mosquitto_loop` and the reconnect back-off. Every libmosquitto
///   callback except the log callback runs on it: on_connect, on_disconnect, on_message,
///   on_publish, on_subscribe, on_unsubscribe. Callbacks only record state and hand off; they
///   never stop the loop nor destroy anything.
/// - The log callback runs on whichever thread calls into libmosquitto: the network thread, or a
///   task calling publish/subscribe/unsubscribe (libmosquitto logs while queueing packets).
/// - Tasks call `mosquitto_publish_v5`, `mosquitto_subscribe_multiple` and
///   `mosquitto_unsubscribe_multiple` directly: allowed because of `mosquitto_threaded_set(true)`,
///   which makes them only queue the packet and wake the loop through libmosquitto's socket pair.
///   They call while holding `state`'s lock, so that the acknowledgement (handled on the network
///   thread under the same lock) always finds the message id registered.
///
/// Teardown order: `disconnect()`/`abortConnection()` set `stopSignal`; the network thread sees
/// it within one loop pass (≤ 100 ms), lets unacknowledged publishes finish (≤ 1 s), and sends
/// DISCONNECT (or shuts the socket down without one), runs the loop until libmosquitto has closed the socket, releases every waiter,
/// finishes the streams and signals its end; the caller then `pthread_join`s it.
/// `mosquitto_destroy` runs only in `deinit`, which cannot start while the thread runs because
/// the thread holds a strong reference to this object: no callback can reach a freed object,
/// and the loop is never cancelled mid-Swift-code (no `mosquitto_loop_start/stop` at all).
///
/// `@unchecked Sendable`: every mutable field is in `state` (a `Mutex`) or `stopSignal` (an
/// `Atomic`); `handle` and `setupError` are written only in `init`; `connectProperties` in
/// `init` and, with `discardsUnacknowledgedOnReconnect`, by the network thread between two
/// connections under the state lock (`forgetUnacknowledgedPublishes`), and read only by that thread.
final class Connection: @unchecked Sendable {
    enum Phase: Sendable, Equatable { case idle, connecting, connected, reconnecting, closed }

    enum Stop: UInt8 { case none = 0, disconnect = 1, abort = 2 }

    struct SubscribeWaiter {
        var filters: [String]
        var continuation: CheckedContinuation<Result<[QoS?], MQTTError>, Never>
    }

    struct State {
        var phase: Phase = .idle
        var thread: NetworkThread?
        var threadRunning = false
        var abandoned = false
        var threadEndWaiters: [CheckedContinuation<Void, Never>] = []
        var firstConnect: CheckedContinuation<Result<Void, MQTTError>, Never>?
        var connackError: MQTTError?
        var disconnectReason: String?
        /// The reason code of the broker's DISCONNECT that ended this connection, if it sent one.
        var disconnectReasonCode: Int32?
        /// Why the client ended by itself, for good (`MQTTClient.endError`).
        var endError: MQTTError?
        /// The filters to restore after a reconnect without a session, in subscription order.
        var subscriptions: [(filter: String, qos: QoS)] = []
        var subscribeWaiters: [Int32: SubscribeWaiter] = [:]
        var unsubscribeWaiters: [Int32: CheckedContinuation<Result<Void, MQTTError>, Never>] = [:]
        var resubscribeMids: Set<Int32> = []
        var inflight: Set<Int32> = []
        var reservedSlots = 0
        /// Publishers waiting for an in-flight slot, oldest first; resumed with true when handed
        /// one, false when their task was cancelled.
        var slotWaiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var drainWaiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        /// Numbers the waiters above, so that a cancelled one can be found.
        var nextWaiterID: UInt64 = 0
        var published = 0
        var rejected = 0
        var reconnects = 0
    }

    /// Continuations collected under the lock, resumed after it is released.
    struct Wakeups {
        var slots: [CheckedContinuation<Bool, Never>] = []
        var drains: [CheckedContinuation<Void, Never>] = []
        var subscribes: [CheckedContinuation<Result<[QoS?], MQTTError>, Never>] = []
        var unsubscribes: [CheckedContinuation<Result<Void, MQTTError>, Never>] = []

        func resume(error: MQTTError) {
            for waiter in slots { waiter.resume(returning: true) }
            for waiter in drains { waiter.resume() }
            for waiter in subscribes { waiter.resume(returning: .failure(error)) }
            for waiter in unsubscribes { waiter.resume(returning: .failure(error)) }
        }
    }

    let configuration: MQTTConfiguration
    let logger: Logger
    /// Messages and connection events in order (`MQTTInbox`, `MQTTMessages`), bounded by
    /// `receiveBufferLimit` and `receiveBufferByteLimit`.
    let inbound: HandOffBuffer<MQTTInbound>
    /// The connection events alone (`MQTTConnectionEvents`), unbounded: they are rare.
    let events = HandOffBuffer<MQTTConnectionEvent>()
    /// Messages received (the inbound buffer counts events too).
    let messagesReceived = Atomic<Int>(0)
    let state = Mutex(State())
    /// MQTT 5's DISCONNECT reason code "session taken over" (0x8E).
    static let sessionTakenOver: Int32 = 0x8E
    let stopSignal = Atomic<UInt8>(0)
    /// `dropConnection()` asked to close the socket without DISCONNECT and reconnect.
    let dropRequested = Atomic<Bool>(false)
    private let sleeper = NSCondition()
    private(set) var handle: OpaquePointer?
    private var connectProperties: OpaquePointer?
    private(set) var setupError: MQTTError?

    init(configuration: MQTTConfiguration, logger: Logger) {
        _ = libraryInitialization
        self.configuration = configuration
        inbound = HandOffBuffer(capacity: configuration.receiveBufferLimit ?? .max,
                                byteCapacity: configuration.receiveBufferByteLimit ?? .max) { inbound in
            guard case .message(let message) = inbound else { return 0 }
            return message.topic.utf8.count + message.payload.count
        }
        var logger = logger
        logger[metadataKey: "mqtt.client"] = "\(configuration.clientID)"
        self.logger = logger
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let mosq = mosquitto_new(configuration.clientID, configuration.cleanStart, context) else {
            let error = cmosquitto_errno()
            setupError = MQTTError(
                mosquitto: error == ENOMEM ? MOSQError.noMemory : MOSQError.invalid,
                context: "client id '\(configuration.clientID)'")
            return
        }
        handle = mosq
        do {
            try configure(mosq)
        } catch {
            setupError = error
        }
    }

    deinit {
        let thread: NetworkThread? = state.withLock { state in
            let thread = state.thread
            state.thread = nil
            return thread
        }
        if let thread {
            if thread.isCurrent { thread.detach() } else { thread.join() }
        }
        if let handle {
            mosquitto_log_callback_set(handle, nil)
            mosquitto_user_data_set(handle, nil)
            mosquitto_destroy(handle)
        }
        if connectProperties != nil { mosquitto_property_free_all(&connectProperties) }
    }

    /// Sets the will libmosquitto sends with the next CONNECT.
    private static func setWill(_ will: MQTTMessage, on mosq: OpaquePointer) throws(MQTTError) {
        let rc = will.payload.withUnsafeBytes { bytes in
            mosquitto_will_set_v5(
                mosq, will.topic, Int32(clamping: bytes.count), bytes.baseAddress,
                Int32(will.qos.rawValue), will.retain, nil)
        }
        if rc != MOSQError.success { throw MQTTError(mosquitto: rc, errno: cmosquitto_errno(), context: "will on '\(will.topic)'") }
    }

    private func configure(_ mosq: OpaquePointer) throws(MQTTError) {
        func check(_ rc: Int32, _ what: String) throws(MQTTError) {
            if rc != MOSQError.success { throw MQTTError(mosquitto: rc, errno: cmosquitto_errno(), context: what) }
        }
        try check(mosquitto_threaded_set(mosq, true), "threaded mode")
        let version = configuration.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        try check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, version), "protocol version")
        try check(mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, configuration.tcpNoDelay ? 1 : 0), "TCP_NODELAY")
        guard (0...65535).contains(configuration.keepAlive), configuration.maxInflightPublishes > 0 else {
            throw MQTTError(code: .invalidArgument, message: "keepAlive must be 0...65535 and maxInflightPublishes > 0")
        }
        if let username = configuration.username {
            try check(mosquitto_username_pw_set(mosq, username, configuration.password), "user name and password")
        }
        if let will = configuration.will { try Self.setWill(will, on: mosq) }
        if let tls = configuration.tls {
            // Without a CA file the system's trust store is used; mosquitto_tls_set needs a CA
            // file or folder, so a client certificate alone goes with the system's folder.
            if tls.caFile != nil || tls.certificateFile != nil {
                try check(
                    mosquitto_tls_set(
                        mosq, tls.caFile, tls.caFile == nil ? "/etc/ssl/certs" : nil,
                        tls.certificateFile, tls.keyFile, nil),
                    "TLS settings")
            }
            if tls.caFile == nil {
                try check(mosquitto_int_option(mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "TLS system trust store")
            }
        }
        if connectProperties != nil { mosquitto_property_free_all(&connectProperties) }
        if configuration.protocolVersion == .v5 && !configuration.cleanStart {
            try check(
                mosquitto_property_add_int32(
                    &connectProperties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue),
                    configuration.sessionExpiryInterval),
                "session expiry")
        }
        installCallbacks(mosq)
    }

    // MARK: - Lifecycle

    /// Starts the network thread and waits for the first CONNACK (retrying meanwhile when the
    /// policy says so). Cancelling the task closes the client.
    func connect() async throws(MQTTError) {
        if let setupError { throw setupError }
        let result: Result<Void, MQTTError> = await withTaskCancellationHandler {
            await firstConnection()
        } onCancel: {
            let connecting = state.withLock { $0.firstConnect != nil }
            if connecting {
                if stopSignal.load(ordering: .relaxed) == 0 { stopSignal.store(Stop.abort.rawValue, ordering: .releasing) }
                wakeSleeper()
            }
        }
        if case .failure(let error) = result {
            await joinNetworkThread()
            throw error
        }
    }

    private func firstConnection() async -> Result<Void, MQTTError> {
        await withCheckedContinuation { continuation in
            let immediate: Result<Void, MQTTError>? = state.withLock { state in
                switch state.phase {
                case .connected, .reconnecting: return .success(())
                case .connecting: return .failure(.invalidState("connect() is already in progress"))
                case .closed: return .failure(.invalidState("the client is closed"))
                case .idle: break
                }
                // Checked under the lock that the cancellation handler takes too: either it sees
                // the attempt, or the attempt sees the cancellation.
                if Task.isCancelled { return .failure(.invalidState("connect() was cancelled")) }
                if state.threadRunning { return .failure(.invalidState("the client is still shutting down")) }
                if let previous = state.thread {
                    previous.join()  // ended already (a failed first connect); returns at once
                    state.thread = nil
                }
                state.phase = .connecting
                state.firstConnect = continuation
                state.threadRunning = true
                switch NetworkThread.start(name: "mqtt-network", { [self] in runNetworkThread() }) {
                case .success(let thread):
                    state.thread = thread
                    return nil
                case .failure(let error):
                    state.phase = .idle
                    state.firstConnect = nil
                    state.threadRunning = false
                    return .failure(error)
                }
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Stops for good: DISCONNECT (or, with `abort`, a socket shut down without one), thread joined.
    func close(abort: Bool) async {
        let running: Bool = state.withLock { state in
            let wanted = abort ? Stop.abort.rawValue : Stop.disconnect.rawValue
            if stopSignal.load(ordering: .relaxed) < wanted { stopSignal.store(wanted, ordering: .releasing) }
            if state.threadRunning { return true }
            state.phase = .closed
            return false
        }
        if running {
            wakeSleeper()
        } else {
            inbound.finish()
            events.finish()
        }
        await joinNetworkThread()
    }

    /// The client object went away without `disconnect()`: stop in the background, thread detaches itself.
    func abandon() {
        let running: Bool = state.withLock { state in
            guard state.threadRunning else { return false }
            state.abandoned = true
            if stopSignal.load(ordering: .relaxed) == 0 { stopSignal.store(Stop.disconnect.rawValue, ordering: .releasing) }
            return true
        }
        if running { wakeSleeper() }
    }

    private func joinNetworkThread() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended: Bool = state.withLock { state in
                guard state.threadRunning else { return true }
                state.threadEndWaiters.append(continuation)
                return false
            }
            if ended { continuation.resume() }
        }
        let thread: NetworkThread? = state.withLock { state in
            let thread = state.thread
            state.thread = nil
            return thread
        }
        thread?.join()
    }

    // MARK: - The network thread

    private func runNetworkThread() {
        guard let mosq = handle else { return }
        var attempt = 0
        while stopSignal.load(ordering: .acquiring) == 0 {
            state.withLock { state in
                state.connackError = nil
                state.disconnectReason = nil
                state.disconnectReasonCode = nil
            }
            var failure: MQTTError?
            if let makeWill = configuration.makeWill {
                do throws(MQTTError) {
                    if let will = makeWill() { try Self.setWill(will, on: mosq) } else { mosquitto_will_clear(mosq) }
                } catch {
                    logger.error("cannot set the will of this connection", metadata: ["error": "\(error)"])
                }
            }
            let rc = configuration.host.withCString { host in
                mosquitto_connect_bind_v5(
                    mosq, host, Int32(configuration.port), Int32(configuration.keepAlive), nil, connectProperties)
            }
            if rc != MOSQError.success {
                failure = MQTTError(
                    mosquitto: rc, errno: cmosquitto_errno(),
                    context: "connect to \(configuration.host):\(configuration.port)")
            } else {
                failure = runLoopUntilClosed(mosq)
            }
            guard case .retry(let wasConnected) = connectionEnded(failure) else { break }
            if wasConnected, configuration.discardsUnacknowledgedOnReconnect, !forgetUnacknowledgedPublishes(mosq) { break }
            attempt = wasConnected ? 1 : attempt + 1
            let delay = configuration.reconnect.delay(forAttempt: attempt)
            logger.info("reconnecting", metadata: ["attempt": "\(attempt)", "delay": "\(delay)"])
            sleepBeforeRetry(delay)
        }
        networkThreadFinished()
    }

    /// Drops what libmosquitto still holds of the lost connection (the publishes it would send
    /// again after the next CONNACK) by reinitialising the handle, its only way to, and sets the
    /// handle up again as `init` did. The waiters of those publishes were released when the
    /// connection ended. Safe here: every other thread calls into the handle only under the
    /// state lock and only while connected, and the phase is `reconnecting`. False (and the
    /// client ends) if the handle cannot be set up again.
    private func forgetUnacknowledgedPublishes(_ mosq: OpaquePointer) -> Bool {
        let context = Unmanaged.passUnretained(self).toOpaque()
        let failure: MQTTError? = state.withLock { _ in
            let rc = mosquitto_reinitialise(mosq, configuration.clientID, configuration.cleanStart, context)
            guard rc == MOSQError.success else { return MQTTError(mosquitto: rc, errno: cmosquitto_errno(), context: "reinitialise") }
            do throws(MQTTError) {
                try configure(mosq)
                return nil
            } catch {
                return error
            }
        }
        guard let failure else { return true }
        logger.critical("cannot set the connection up again after dropping its unacknowledged publishes", metadata: ["error": "\(failure)"])
        return false
    }

    /// Runs `mosquitto_loop` until libmosquitto has closed the socket; handles stop requests.
    private func runLoopUntilClosed(_ mosq: OpaquePointer) -> MQTTError? {
        var stopSeenAt: ContinuousClock.Instant?
        var disconnectSent = false
        var socketShutDown = false
        while true {
            let stop = stopSignal.load(ordering: .relaxed)
            if stop != 0 {
                let seenAt = stopSeenAt ?? .now
                stopSeenAt = seenAt
                let waited = ContinuousClock.now - seenAt
                // A clean stop first lets unacknowledged publishes finish (up to 1 s): libmosquitto
                // closes the socket right after writing DISCONNECT, and a PUBACK still unread at
                // that moment makes the kernel reset the connection, which the broker takes as a
                // lost client and answers with the will.
                if stop == Stop.disconnect.rawValue, !disconnectSent,
                   state.withLock({ $0.inflight.isEmpty }) || waited > .seconds(1) {
                    disconnectSent = true
                    if mosquitto_disconnect_v5(mosq, 0, nil) != MOSQError.success { socketShutDown = shutDownSocket(mosq) }
                }
                // Abort (FIN without DISCONNECT: the broker publishes the will), or a DISCONNECT
                // that did not get out within 3 s.
                if !socketShutDown, stop == Stop.abort.rawValue || waited > .seconds(3) {
                    socketShutDown = shutDownSocket(mosq)
                }
            }
            if dropRequested.exchange(false, ordering: .acquiringAndReleasing), stop == 0 {
                logger.info("dropping the connection without DISCONNECT, as asked")
                _ = shutDownSocket(mosq)
            }
            let rc = mosquitto_loop(mosq, 100, 1)
            if rc == MOSQError.invalid, mosquitto_socket(mosq) >= FD_SETSIZE {
                // libmosquitto 2.0's loop is select(): it cannot watch a descriptor that high.
                _ = shutDownSocket(mosq)
                return MQTTError(code: .system, message: "the connection's socket is descriptor \(mosquitto_socket(mosq)), "
                                 + "at or above FD_SETSIZE (\(FD_SETSIZE)), which libmosquitto's select() loop cannot watch: "
                                 + "this process has too many files open")
            }
            if rc != MOSQError.success {
                let savedErrno = cmosquitto_errno()
                return MQTTError(mosquitto: rc, errno: savedErrno)
            }
            if mosquitto_socket(mosq) < 0 { return nil }
        }
    }

    private func shutDownSocket(_ mosq: OpaquePointer) -> Bool {
        let socket = mosquitto_socket(mosq)
        if socket >= 0 { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        return true
    }

    private enum Outcome { case stop, retry(wasConnected: Bool) }

    /// The connection ended (or never came up): release every waiter, tell the listeners, decide.
    private func connectionEnded(_ failure: MQTTError?) -> Outcome {
        var wakeups = Wakeups()
        let stopping = stopSignal.load(ordering: .acquiring) != 0
        let (outcome, event, first, error): (Outcome, MQTTConnectionEvent?, CheckedContinuation<Result<Void, MQTTError>, Never>?, MQTTError) =
            state.withLock { state in
                let wasConnected = state.phase == .connected
                let error = state.connackError ?? failure
                    ?? MQTTError(code: .connectionLost, message: state.disconnectReason ?? "connection closed")
                let reason = state.connackError?.message ?? state.disconnectReason ?? error.message
                // Release every waiter tied to this connection.
                let inflight = state.inflight.count
                state.inflight.removeAll()
                for _ in 0..<inflight { releaseSlot(&state, into: &wakeups) }
                for (_, waiter) in state.subscribeWaiters {
                    wakeups.subscribes.append(waiter.continuation)
                    let failed = Set(waiter.filters)
                    state.subscriptions.removeAll { failed.contains($0.filter) }
                }
                state.subscribeWaiters.removeAll()
                wakeups.unsubscribes = Array(state.unsubscribeWaiters.values)
                state.unsubscribeWaiters.removeAll()
                state.resubscribeMids.removeAll()
                let event: MQTTConnectionEvent? = wasConnected ? .disconnected(reason: reason) : nil
                if state.firstConnect != nil, !stopping, configuration.reconnect.retriesFirstConnection, !error.isPermanent {
                    return (.retry(wasConnected: false), nil, nil, error)  // connect() goes on waiting
                }
                let first = state.firstConnect
                state.firstConnect = nil
                if first != nil {
                    state.phase = stopping ? .closed : .idle  // idle: connect() may be tried again
                    return (.stop, event, first, error)
                }
                if stopping || !configuration.reconnect.enabled {
                    state.phase = .closed
                    return (.stop, event, nil, error)
                }
                if state.disconnectReasonCode == Self.sessionTakenOver, !configuration.reconnectsWhenTakenOver {
                    state.phase = .closed
                    state.endError = MQTTError(
                        code: .sessionTakenOver,
                        message: "another connection with client id '\(configuration.clientID)' took the session over",
                        reasonCode: Self.sessionTakenOver)
                    return (.stop, event, nil, error)
                }
                state.phase = .reconnecting
                return (.retry(wasConnected: wasConnected), event, nil, error)
            }
        wakeups.resume(error: .noConnection)
        if let first {
            first.resume(returning: .failure(stopping ? .invalidState("disconnected before the connection was up") : error))
        }
        if let event {
            if !stopping { logger.warning("connection lost", metadata: ["reason": "\(error.message)"]) }
            report(event)
        } else if first == nil && !stopping {
            let connecting = state.withLock { $0.firstConnect != nil }
            logger.warning(connecting ? "broker not reachable" : "reconnect failed", metadata: ["reason": "\(error.message)"])
            if case .retry = outcome { report(.attemptFailed(reason: error.message)) }
        }
        return outcome
    }

    /// Frees one publish slot: hands it to the oldest waiting publisher, or counts it back;
    /// collects the drain waiters when nothing is in flight any more. Call under the lock.
    func releaseSlot(_ state: inout State, into wakeups: inout Wakeups) {
        if !state.slotWaiters.isEmpty {
            wakeups.slots.append(state.slotWaiters.removeFirst().continuation)
            return
        }
        state.reservedSlots -= 1
        if state.reservedSlots == 0 && !state.drainWaiters.isEmpty {
            wakeups.drains += state.drainWaiters.map(\.continuation)
            state.drainWaiters.removeAll()
        }
    }

    private func networkThreadFinished() {
        // A stop that came while a retrying first connect() waited between attempts.
        let first: CheckedContinuation<Result<Void, MQTTError>, Never>? = state.withLock { state in
            defer { state.firstConnect = nil }
            return state.firstConnect
        }
        first?.resume(returning: .failure(MQTTError(code: .cancelled, message: "stopped before the broker answered")))
        let (waiters, finish, detach): ([CheckedContinuation<Void, Never>], Bool, NetworkThread?) = state.withLock { state in
            state.threadRunning = false
            let finish = state.phase != .idle
            if finish { state.phase = .closed }
            let waiters = state.threadEndWaiters
            state.threadEndWaiters.removeAll()
            var detach: NetworkThread?
            if state.abandoned {
                detach = state.thread
                state.thread = nil
            }
            return (waiters, finish, detach)
        }
        if finish {
            inbound.finish()
            events.finish()
        }
        detach?.detach()
        for waiter in waiters { waiter.resume() }
    }

    /// Waits `delay` on the monotonic clock, or until stopped. NSCondition's waits end at a wall
    /// time, so each is a slice of at most 0.25 s: a step of the wall clock cannot stretch the
    /// back-off by more than that.
    private func sleepBeforeRetry(_ delay: Duration) {
        let deadline = ContinuousClock.now + delay
        sleeper.lock()
        while stopSignal.load(ordering: .acquiring) == 0 {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            _ = sleeper.wait(until: Date(timeIntervalSinceNow: MQTTReconnectPolicy.seconds(min(remaining, .milliseconds(250)))))
        }
        sleeper.unlock()
    }

    private func wakeSleeper() {
        sleeper.lock()
        sleeper.broadcast()
        sleeper.unlock()
    }
}

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
///   `mosquitto_connect_bind_v5`, the loop (`loopOnce`: `poll()`, then `mosquitto_loop_read`,
///   `_write` and `_misc`) and the reconnect back-off. Every libmosquitto
///   callback except the log callback runs on it: on_connect, on_disconnect, on_message,
///   on_publish, on_subscribe, on_unsubscribe. Callbacks only record state and hand off; they
///   never stop the loop nor destroy anything.
/// - The log callback runs on whichever thread calls into libmosquitto: the network thread, or a
///   task calling publish/subscribe/unsubscribe (libmosquitto logs while queueing packets).
/// - Tasks call `mosquitto_publish_v5`, `mosquitto_subscribe_multiple` and
///   `mosquitto_unsubscribe_multiple` directly: allowed because of `mosquitto_threaded_set(true)`,
///   which makes them only queue the packet; they then wake the loop (`wakeup`, an eventfd the
///   loop polls beside the socket). They call while holding `state`'s lock, so that the
///   acknowledgement (handled on the network thread under the same lock) always finds the message
///   id registered, and so that the loop's look at libmosquitto's queue (`wantsWrite`) never races
///   their queueing. (libmosquitto still writes a byte to its own wake-up socket pair for each
///   packet queued; nothing reads it any more, so once its buffer is full, about 200 KiB of
///   kernel memory per client, those writes fail with EAGAIN, harmlessly.)
///
/// Teardown order: `disconnect()`/`abortConnection()` set `stopSignal`; the network thread sees
/// it within one loop pass (woken at once), lets unacknowledged publishes finish (≤ 1 s), and sends
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
    let sleeper = NSCondition()
    /// Wakes `loopOnce`'s `poll()` when a task queued a packet or asked to stop or drop.
    let wakeup = LoopWakeup()
    private(set) var handle: OpaquePointer?
    var connectProperties: OpaquePointer?
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
        guard wakeup.descriptor >= 0 else {
            setupError = MQTTError(code: .system, message: "cannot make the network loop's eventfd: \(String(cString: strerror(errno)))", errno: errno)
            return
        }
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
    static func setWill(_ will: MQTTMessage, on mosq: OpaquePointer) throws(MQTTError) {
        let rc = will.payload.withUnsafeBytes { bytes in
            mosquitto_will_set_v5(
                mosq, will.topic, Int32(clamping: bytes.count), bytes.baseAddress,
                Int32(will.qos.rawValue), will.retain, nil)
        }
        if rc != MOSQError.success { throw MQTTError(mosquitto: rc, errno: cmosquitto_errno(), context: "will on '\(will.topic)'") }
    }

    func configure(_ mosq: OpaquePointer) throws(MQTTError) {
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
        guard configuration.cleanStart || !configuration.discardsUnacknowledgedOnReconnect else {
            throw MQTTError(code: .invalidArgument, message: "discardsUnacknowledgedOnReconnect needs cleanStart: "
                            + "a kept session's QoS 2 exchanges and packet ids would be forgotten with the rest")
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
                wakeNetworkThread()
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
            wakeNetworkThread()
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
        if running { wakeNetworkThread() }
    }

    func joinNetworkThread() async {
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
}

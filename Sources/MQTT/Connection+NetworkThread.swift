import CMosquitto
import Foundation

/// The network thread's work: connect, run the loop until the connection ends, decide whether
/// to reconnect and when, and end. See `Connection` for which thread does what.
extension Connection {
    func runNetworkThread() {
        guard let mosq = handle else { return }
        var attempt = 0
        // The handle must forget the lost connection before the next connect.
        var forgetsFirst = false
        while stopSignal.load(ordering: .acquiring) == 0 {
            state.withLock { state in
                state.connackError = nil
                state.disconnectReason = nil
                state.disconnectReasonCode = nil
            }
            var failure: MQTTError?
            if forgetsFirst {
                // A handle that cannot be set up again is a failed attempt, retried with the back-off.
                failure = forgetUnacknowledgedPublishes(mosq)
                if failure == nil { forgetsFirst = false }
            }
            if failure == nil {
                failure = connectAndRun(mosq)
            }
            guard case .retry(let wasConnected) = connectionEnded(failure) else { break }
            if wasConnected, configuration.discardsUnacknowledgedOnReconnect { forgetsFirst = true }
            attempt = wasConnected ? 1 : attempt + 1
            let delay = configuration.reconnect.delay(forAttempt: attempt)
            logger.info("reconnecting", metadata: ["attempt": "\(attempt)", "delay": "\(delay)"])
            sleepBeforeRetry(delay)
        }
        networkThreadFinished()
    }

    /// One connection: its will, CONNECT, and the loop until it ends; nil for a clean end.
    private func connectAndRun(_ mosq: OpaquePointer) -> MQTTError? {
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
        guard rc == MOSQError.success else {
            return MQTTError(
                mosquitto: rc, errno: cmosquitto_errno(),
                context: "connect to \(configuration.host):\(configuration.port)")
        }
        return runLoopUntilClosed(mosq)
    }

    /// Drops what libmosquitto still holds of the lost connection (the publishes it would send
    /// again after the next CONNACK) by reinitialising the handle, its only way to, and sets the
    /// handle up again as `init` did. The waiters of those publishes were released when the
    /// connection ended. Safe here: every other thread calls into the handle only under the
    /// state lock and only while connected, and the phase is `reconnecting`. The error if the
    /// handle cannot be set up again (a CA file gone, say): that attempt failed, the next one
    /// tries again.
    func forgetUnacknowledgedPublishes(_ mosq: OpaquePointer) -> MQTTError? {
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
        if let failure {
            logger.error("cannot set the connection up again after dropping its unacknowledged publishes", metadata: ["error": "\(failure)"])
        }
        return failure
    }

    /// Runs the loop (`loopOnce`) until libmosquitto has closed the socket; handles stop requests.
    func runLoopUntilClosed(_ mosq: OpaquePointer) -> MQTTError? {
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
            let rc = loopOnce(mosq, timeout: 100)
            if rc != MOSQError.success {
                let savedErrno = cmosquitto_errno()
                return MQTTError(mosquitto: rc, errno: savedErrno)
            }
            if mosquitto_socket(mosq) < 0 { return nil }
        }
    }

    /// One pass of the network loop: what `mosquitto_loop` does, with `poll()` instead of its
    /// `select()`, which cannot watch a descriptor numbered `FD_SETSIZE` (1024) or more, so a
    /// client in a process with many files open could not connect. Waits up to `timeout` ms for
    /// the socket or a wake-up, reads what came, writes what is queued, and runs libmosquitto's
    /// keepalive. A result other than success ends the connection (libmosquitto has closed the
    /// socket and called on_disconnect); success with the socket closed is a clean end.
    func loopOnce(_ mosq: OpaquePointer, timeout: Int32) -> Int32 {
        let socket = mosquitto_socket(mosq)
        guard socket >= 0 else { return MOSQError.success }
        let readable = Int16(POLLIN), writable = Int16(POLLOUT)
        // A TLS connection before its CONNACK may still be in its handshake, which libmosquitto
        // drives from its read step (its `want_connect`, not readable from outside) and which
        // blocks its write step: asking for POLLOUT then, with CONNECT queued, would wake at once
        // for ever. So poll to read only, and take the read step on every pass (an EAGAIN is no
        // harm); a handshake that must write (rare: a full send buffer) moves on the next pass.
        let handshaking = configuration.tls != nil && state.withLock { $0.phase != .connected }
        var descriptors = [
            pollfd(fd: socket, events: !handshaking && wantsWrite(mosq) ? readable | writable : readable, revents: 0),
            pollfd(fd: wakeup.descriptor, events: readable, revents: 0),
        ]
        if poll(&descriptors, 2, timeout) < 0 {
            return cmosquitto_errno() == EINTR ? MOSQError.success : MOSQError.errno
        }
        if descriptors[1].revents != 0 { wakeup.drain() }
        if handshaking || descriptors[0].revents & (readable | Int16(POLLHUP) | Int16(POLLERR)) != 0 {
            let rc = mosquitto_loop_read(mosq, 1)
            if rc != MOSQError.success || mosquitto_socket(mosq) < 0 { return rc }
        }
        // Written as soon as it is queued, as mosquitto_loop does after a wake-up: what the socket
        // cannot take yet stays queued (EAGAIN), and the next poll() waits for it to drain.
        if wantsWrite(mosq) {
            let rc = mosquitto_loop_write(mosq, 1)
            if rc != MOSQError.success || mosquitto_socket(mosq) < 0 { return rc }
        }
        return mosquitto_loop_misc(mosq)
    }

    /// Whether libmosquitto has packets queued for the socket; under the lock the queueing tasks hold.
    func wantsWrite(_ mosq: OpaquePointer) -> Bool {
        state.withLock { _ in mosquitto_want_write(mosq) }
    }

    func shutDownSocket(_ mosq: OpaquePointer) -> Bool {
        let socket = mosquitto_socket(mosq)
        if socket >= 0 { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        return true
    }

    enum Outcome { case stop, retry(wasConnected: Bool) }

    /// The connection ended (or never came up): release every waiter, tell the listeners, decide.
    func connectionEnded(_ failure: MQTTError?) -> Outcome {
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

    func networkThreadFinished() {
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
    func sleepBeforeRetry(_ delay: Duration) {
        let deadline = ContinuousClock.now + delay
        sleeper.lock()
        while stopSignal.load(ordering: .acquiring) == 0 {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            _ = sleeper.wait(until: Date(timeIntervalSinceNow: MQTTReconnectPolicy.seconds(min(remaining, .milliseconds(250)))))
        }
        sleeper.unlock()
    }

    /// Wakes the network thread, whether it polls its connection or sleeps before a retry.
    func wakeNetworkThread() {
        wakeup.signal()
        sleeper.lock()
        sleeper.broadcast()
        sleeper.unlock()
    }

    /// Wakes the loop to write what a task just queued.
    func wakeLoop() { wakeup.signal() }
}

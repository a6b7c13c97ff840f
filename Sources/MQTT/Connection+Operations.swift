import CMosquitto

/// Publish, subscribe and unsubscribe: called from tasks, they queue a packet in libmosquitto
/// (threaded mode) while holding the state lock, wake the network thread to write it, and wait
/// for the acknowledgement, which the network thread delivers through the callbacks.
extension Connection {
    func publish(_ message: MQTTMessage) async throws(MQTTError) {
        if let setupError { throw setupError }
        guard let mosq = handle else { throw MQTTError.invalidState("no libmosquitto handle") }
        let limit = configuration.maxInflightPublishes
        let haveSlot: Bool = state.withLock { state in
            guard state.reservedSlots < limit, state.slotWaiters.isEmpty else { return false }
            state.reservedSlots += 1
            return true
        }
        if !haveSlot {
            // Wait for on_publish (or a dropped connection) to hand a slot over.
            let waiterID = state.withLock { state in
                state.nextWaiterID += 1
                return state.nextWaiterID
            }
            let handed: Bool = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let now: Bool? = state.withLock { state in
                        if Task.isCancelled { return false }
                        if state.reservedSlots < limit && state.slotWaiters.isEmpty {
                            state.reservedSlots += 1
                            return true
                        }
                        state.slotWaiters.append((waiterID, continuation))
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                    guard let index = state.slotWaiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
                    return state.slotWaiters.remove(at: index).continuation
                }
                waiter?.resume(returning: false)
            }
            guard handed else { throw MQTTError(code: .cancelled, message: "publish to '\(message.topic)' cancelled while waiting for an in-flight slot") }
        }
        var wakeups = Wakeups()
        var savedErrno: Int32 = 0
        let (rc, phase): (Int32, Phase) = state.withLock { state in
            guard state.phase == .connected else {
                releaseSlot(&state, into: &wakeups)
                return (MOSQError.noConnection, state.phase)
            }
            var mid: Int32 = 0
            let rc = message.topic.withCString { topic in
                message.payload.withUnsafeBytes { bytes in
                    mosquitto_publish_v5(
                        mosq, &mid, topic, Int32(clamping: bytes.count), bytes.baseAddress,
                        Int32(message.qos.rawValue), message.retain, nil)
                }
            }
            if rc == MOSQError.success {
                state.inflight.insert(mid)
                state.published += 1
                wakeLoop()
            } else {
                savedErrno = cmosquitto_errno()
                releaseSlot(&state, into: &wakeups)
            }
            return (rc, state.phase)
        }
        wakeups.resume(error: .noConnection)
        guard rc == MOSQError.success else {
            if phase == .closed { throw MQTTError.invalidState("the client is closed") }
            if rc == MOSQError.noConnection { throw MQTTError.noConnection }
            throw MQTTError(mosquitto: rc, errno: savedErrno, context: "publish to '\(message.topic)'")
        }
    }

    /// Waits until nothing is in flight; returns early when the task is cancelled.
    func waitForPublishes() async {
        let waiterID = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done: Bool = state.withLock { state in
                    guard state.reservedSlots > 0, !Task.isCancelled else { return true }
                    state.drainWaiters.append((waiterID, continuation))
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.drainWaiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
                return state.drainWaiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }

    func subscribe(_ filters: [String], qos: QoS) async throws(MQTTError) -> [QoS?] {
        if let setupError { throw setupError }
        guard let mosq = handle else { throw MQTTError.invalidState("no libmosquitto handle") }
        guard !filters.isEmpty else { return [] }
        let result: Result<[QoS?], MQTTError> = await withCheckedContinuation { continuation in
            let failure: MQTTError? = state.withLock { state in
                guard state.phase == .connected else {
                    return state.phase == .closed ? .invalidState("the client is closed") : .noConnection
                }
                var mid: Int32 = 0
                let rc = Connection.withCStrings(filters) { pointers, count in
                    mosquitto_subscribe_multiple(mosq, &mid, count, pointers, Int32(qos.rawValue), 0, nil)
                }
                guard rc == MOSQError.success else {
                    return MQTTError(mosquitto: rc, errno: cmosquitto_errno(), context: "subscribe to \(filters)")
                }
                state.subscribeWaiters[mid] = SubscribeWaiter(filters: filters, continuation: continuation)
                wakeLoop()
                for filter in filters {
                    if let index = state.subscriptions.firstIndex(where: { $0.filter == filter }) {
                        state.subscriptions[index].qos = qos
                    } else {
                        state.subscriptions.append((filter, qos))
                    }
                }
                return nil
            }
            if let failure { continuation.resume(returning: .failure(failure)) }
        }
        return try result.get()
    }

    func unsubscribe(_ filters: [String]) async throws(MQTTError) {
        if let setupError { throw setupError }
        guard let mosq = handle else { throw MQTTError.invalidState("no libmosquitto handle") }
        guard !filters.isEmpty else { return }
        let result: Result<Void, MQTTError> = await withCheckedContinuation { continuation in
            let failure: MQTTError? = state.withLock { state in
                let removed = Set(filters)
                state.subscriptions.removeAll { removed.contains($0.filter) }
                guard state.phase == .connected else {
                    return state.phase == .closed ? .invalidState("the client is closed") : .noConnection
                }
                var mid: Int32 = 0
                let rc = Connection.withCStrings(filters) { pointers, count in
                    mosquitto_unsubscribe_multiple(mosq, &mid, count, pointers, nil)
                }
                guard rc == MOSQError.success else {
                    return MQTTError(mosquitto: rc, errno: cmosquitto_errno(), context: "unsubscribe from \(filters)")
                }
                state.unsubscribeWaiters[mid] = continuation
                wakeLoop()
                return nil
            }
            if let failure { continuation.resume(returning: .failure(failure)) }
        }
        try result.get()
    }

    var statistics: MQTTClientStatistics {
        let buffer = inbound.counters
        let received = messagesReceived.load(ordering: .relaxed)
        return state.withLock { state in
            MQTTClientStatistics(
                received: received, published: state.published, publishesRejected: state.rejected,
                reconnects: state.reconnects, bufferHighWater: buffer.highWater, buffered: buffer.buffered,
                receiveStalls: buffer.stalls, receiveDropped: buffer.dropped)
        }
    }
}

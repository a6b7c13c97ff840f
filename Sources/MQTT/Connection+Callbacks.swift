import CMosquitto
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The libmosquitto callbacks: non-capturing C functions that recover the `Connection` from the
/// `obj` pointer given to `mosquitto_new` (`Unmanaged`, unretained: the network thread keeps it
/// alive while callbacks can run). All but on_log run on the network thread.
extension Connection {
    func installCallbacks(_ mosq: OpaquePointer) {
        mosquitto_connect_v5_callback_set(mosq) { _, object, reason, flags, _ in
            guard let object else { return }
            Unmanaged<Connection>.fromOpaque(object).takeUnretainedValue().didConnect(reason: reason, flags: flags)
        }
        mosquitto_disconnect_v5_callback_set(mosq) { _, object, reason, _ in
            guard let object else { return }
            Unmanaged<Connection>.fromOpaque(object).takeUnretainedValue().didDisconnect(reason: reason)
        }
        mosquitto_message_v5_callback_set(mosq) { _, object, message, _ in
            guard let object, let message else { return }
            Unmanaged<Connection>.fromOpaque(object).takeUnretainedValue().didReceive(message)
        }
        mosquitto_publish_v5_callback_set(mosq) { _, object, mid, reason, _ in
            guard let object else { return }
            Unmanaged<Connection>.fromOpaque(object).takeUnretainedValue().didPublish(mid: mid, reason: reason)
        }
        mosquitto_subscribe_v5_callback_set(mosq) { _, object, mid, count, granted, _ in
            guard let object else { return }
            var grantedQoS: [QoS?] = []
            if let granted, count > 0 {
                grantedQoS.reserveCapacity(Int(count))
                for index in 0..<Int(count) {
                    let value = granted[index]
                    grantedQoS.append((0...2).contains(value) ? QoS(rawValue: UInt8(value)) : nil)
                }
            }
            Unmanaged<Connection>.fromOpaque(object).takeUnretainedValue().didSubscribe(mid: mid, granted: grantedQoS)
        }
        mosquitto_unsubscribe_v5_callback_set(mosq) { _, object, mid, _ in
            guard let object else { return }
            Unmanaged<Connection>.fromOpaque(object).takeUnretainedValue().didUnsubscribe(mid: mid)
        }
        // libmosquitto formats a line for every packet whenever a log callback is set (about 5% of
        // the bridge's CPU under load, measured), so the callback is installed only for a logger
        // at debug or trace. Failures reach callers as MQTTError values and are logged here anyway.
        if logger.logLevel <= .debug {
            mosquitto_log_callback_set(mosq) { _, object, level, text in
                guard let object, let text else { return }
                Unmanaged<Connection>.fromOpaque(object).takeUnretainedValue().libraryLog(level: level, text: text)
            }
        }
    }

    private func didConnect(reason: Int32, flags: Int32) {
        guard reason == 0 else {
            let error = MQTTError(connack: reason, version: configuration.protocolVersion)
            state.withLock { $0.connackError = error }
            logger.error("broker refused the connection", metadata: ["reason": "\(error.message)"])
            return
        }
        let sessionPresent = flags & 1 != 0
        let (first, restore): (CheckedContinuation<Result<Void, MQTTError>, Never>?, [(QoS, [String])]) = state.withLock { state in
            state.phase = .connected
            let first = state.firstConnect
            state.firstConnect = nil
            if first == nil { state.reconnects += 1 }
            guard first == nil, !sessionPresent, configuration.restoresSubscriptions, !state.subscriptions.isEmpty else {
                return (first, [])
            }
            var groups: [(QoS, [String])] = []
            for qos in [QoS.atMostOnce, .atLeastOnce, .exactlyOnce] {
                let filters = state.subscriptions.filter { $0.qos == qos }.map(\.filter)
                if !filters.isEmpty { groups.append((qos, filters)) }
            }
            return (first, groups)
        }
        logger.info("connected", metadata: ["sessionPresent": "\(sessionPresent)", "reconnect": "\(first == nil)"])
        // Restore the subscriptions; `.connected` is reported once the broker has acknowledged
        // them (SUBACKs come on this thread, after this callback, so no race with the mids).
        var pending: Set<Int32> = []
        if let mosq = handle {
            for (qos, filters) in restore {
                var mid: Int32 = 0
                let rc = Connection.withCStrings(filters) { pointers, count in
                    mosquitto_subscribe_multiple(mosq, &mid, count, pointers, Int32(qos.rawValue), 0, nil)
                }
                if rc == MOSQError.success {
                    pending.insert(mid)
                } else {
                    logger.error("cannot restore subscriptions", metadata: ["error": "\(MQTTError(mosquitto: rc))"])
                }
            }
        }
        if !pending.isEmpty {
            state.withLock { $0.resubscribeMids = pending }
        }
        first?.resume(returning: .success(()))
        if pending.isEmpty { report(.connected(sessionPresent: sessionPresent)) }
    }

    private func didDisconnect(reason: Int32) {
        let text: String
        switch reason {
        case 0: text = "disconnected by the client"
        case 128...: text = "disconnected by the broker: " + String(cString: mosquitto_reason_string(reason))
        default: text = String(cString: mosquitto_strerror(reason))
        }
        state.withLock { state in
            if state.disconnectReason == nil { state.disconnectReason = text }
            if reason >= 128, state.disconnectReasonCode == nil { state.disconnectReasonCode = reason }
        }
        logger.debug("connection closed", metadata: ["reason": "\(text)"])
    }

    private func didReceive(_ message: UnsafePointer<mosquitto_message>) {
        let raw = message.pointee
        guard let topic = raw.topic else { return }
        let count = Int(raw.payloadlen)
        let payload: [UInt8] = count > 0 && raw.payload != nil
            ? [UInt8](UnsafeRawBufferPointer(start: raw.payload, count: count)) : []
        messagesReceived.add(1, ordering: .relaxed)
        inbound.append(.message(MQTTMessage(
            topic: String(cString: topic), payload: payload,
            qos: QoS(rawValue: UInt8(clamping: raw.qos)) ?? .atMostOnce, retain: raw.retain)))
    }

    private func didPublish(mid: Int32, reason: Int32) {
        var wakeups = Wakeups()
        let known: Bool = state.withLock { state in
            if reason >= 0x80 { state.rejected += 1 }
            guard state.inflight.remove(mid) != nil else { return false }
            releaseSlot(&state, into: &wakeups)
            return true
        }
        if reason >= 0x80 {
            logger.warning("broker rejected a publish", metadata: [
                "mid": "\(mid)", "reason": "\(String(cString: mosquitto_reason_string(reason)))",
            ])
        }
        if known { wakeups.resume(error: .noConnection) }
    }

    private func didSubscribe(mid: Int32, granted: [QoS?]) {
        let (waiter, restored): (CheckedContinuation<Result<[QoS?], MQTTError>, Never>?, Bool) = state.withLock { state in
            if let waiter = state.subscribeWaiters.removeValue(forKey: mid) {
                for (filter, qos) in zip(waiter.filters, granted) where qos == nil {
                    state.subscriptions.removeAll { $0.filter == filter }
                }
                return (waiter.continuation, false)
            }
            guard state.resubscribeMids.remove(mid) != nil else { return (nil, false) }
            return (nil, state.resubscribeMids.isEmpty)
        }
        if let waiter {
            waiter.resume(returning: .success(granted))
        } else if restored {
            if granted.contains(where: { $0 == nil }) {
                logger.warning("the broker refused some restored subscriptions")
            }
            report(.connected(sessionPresent: false))
        }
    }

    /// A connection event, in order with the messages (the inbox) and on its own stream.
    func report(_ event: MQTTConnectionEvent) {
        inbound.append(.connection(event))
        events.append(event)
    }

    private func didUnsubscribe(mid: Int32) {
        let waiter = state.withLock { $0.unsubscribeWaiters.removeValue(forKey: mid) }
        waiter?.resume(returning: .success(()))
    }

    private func libraryLog(level: Int32, text: UnsafePointer<CChar>) {
        let swiftLevel: Logger.Level
        switch level {
        case MOSQ_LOG_ERR: swiftLevel = .error
        case MOSQ_LOG_WARNING: swiftLevel = .warning
        case MOSQ_LOG_NOTICE: swiftLevel = .notice
        case MOSQ_LOG_INFO: swiftLevel = .info
        default: swiftLevel = .trace  // MOSQ_LOG_DEBUG: one line per packet
        }
        guard logger.logLevel <= swiftLevel else { return }
        logger.log(level: swiftLevel, "\(String(cString: text))", metadata: ["source": "libmosquitto"])
    }

    /// Calls `body` with a C array of C strings (`char *const *`), freed afterwards.
    static func withCStrings<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>, Int32) -> R
    ) -> R {
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { buffer in
            // A non-empty array always has a base address; an empty one gets a dummy pointer.
            var empty: UnsafeMutablePointer<CChar>? = nil
            guard let base = buffer.baseAddress else { return body(&empty, 0) }
            return body(base, Int32(buffer.count))
        }
    }
}

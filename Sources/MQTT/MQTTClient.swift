import Logging

/// An MQTT client over libmosquitto: connect, subscribe, publish, receive, reconnect.
///
/// Safe to share between tasks. Blocking work runs on the client's own network thread, never on
/// the cooperative pool. After the first successful `connect()` the client reconnects by itself
/// (with back-off and jitter) and restores its subscriptions (unless
/// `MQTTConfiguration.restoresSubscriptions` is off); watch `connectionEvents` to resynchronise
/// after a gap. `disconnect()` or `abortConnection()` ends it for good.
/// Dropping the last reference without them disconnects cleanly in the background.
public final class MQTTClient: Sendable {
    let connection: Connection

    /// A client for `configuration`; nothing happens on the network until `connect()`.
    public init(configuration: MQTTConfiguration, logger: Logger = Logger(label: "mqtt")) {
        connection = Connection(configuration: configuration, logger: logger)
    }

    deinit {
        connection.abandon()
    }

    /// The configuration the client was made with.
    public var configuration: MQTTConfiguration { connection.configuration }

    /// Opens the first connection and waits for the broker's CONNACK.
    ///
    /// Throws the refusal (`.notAuthorized` for a bad password, `.connectionRefused` when nothing
    /// listens) and then nothing is retried; once connected, the client reconnects by itself.
    /// Calling it when connected does nothing.
    public func connect() async throws(MQTTError) {
        try await connection.connect()
    }

    /// Subscribes to several filters in one SUBSCRIBE and waits for the SUBACK.
    ///
    /// Returns the granted QoS per filter, in order; nil = refused by the broker. Granted filters
    /// are restored after a reconnect without a session (when `restoresSubscriptions` is on).
    /// Throws `.noConnection` while disconnected.
    public func subscribe(_ filters: [String], qos: QoS = .atLeastOnce) async throws(MQTTError) -> [QoS?] {
        try await connection.subscribe(filters, qos: qos)
    }

    /// Unsubscribes from several filters in one UNSUBSCRIBE and waits for the UNSUBACK.
    ///
    /// The filters are forgotten at once (not restored after a reconnect), even if this throws.
    public func unsubscribe(_ filters: [String]) async throws(MQTTError) {
        try await connection.unsubscribe(filters)
    }

    /// Publishes one message; waits for an in-flight slot, returns once queued in libmosquitto.
    ///
    /// At most `maxInflightPublishes` publishes are unacknowledged at once (QoS 0 until written to
    /// the socket, QoS 1 until PUBACK, QoS 2 until PUBCOMP). While disconnected it throws
    /// `.noConnection` rather than queueing: resynchronise after the next `.connected` event.
    /// A cancelled task stops waiting for a slot and gets `.cancelled`.
    public func publish(_ message: MQTTMessage) async throws(MQTTError) {
        try await connection.publish(message)
    }

    /// Waits until every publish so far is acknowledged, or released by a dropped connection;
    /// returns early for a cancelled task.
    public func waitForPublishes() async {
        await connection.waitForPublishes()
    }

    /// The received messages; one consumer only, and not together with `inbox` (see
    /// `MQTTMessages`); the high-water mark is in `statistics`.
    public var messages: MQTTMessages { MQTTMessages(buffer: connection.inbound) }

    /// Messages and connection events in one order, taken in batches; one consumer only, and
    /// not together with `messages` (see `MQTTInbox`).
    public var inbox: MQTTInbox { MQTTInbox(buffer: connection.inbound) }

    /// Connection events (connected, disconnected with a reason); one consumer only.
    public var connectionEvents: MQTTConnectionEvents { MQTTConnectionEvents(buffer: connection.events) }

    /// Sends DISCONNECT (the broker discards the will), closes, joins the network thread and
    /// ends both sequences. Works while connected, reconnecting or never connected.
    public func disconnect() async {
        await connection.close(abort: false)
    }

    /// Closes the socket without DISCONNECT, as a network failure would (the broker publishes
    /// the will), and reconnects by the policy: `.disconnected` then `.connected` follow.
    public func dropConnection() {
        connection.dropRequested.store(true, ordering: .releasing)
        connection.wakeLoop()
    }

    /// Closes the socket without DISCONNECT, so the broker publishes the will; otherwise like
    /// `disconnect()`. For tests and benchmarks that simulate a vanished device.
    public func abortConnection() async {
        await connection.close(abort: true)
    }

    /// Why the client ended by itself, for good: nil while it runs or reconnects and after
    /// `disconnect()`; `.sessionTakenOver` when another connection took its session over and
    /// `reconnectsWhenTakenOver` is off. Set before the inbox and the event sequences end.
    public var endError: MQTTError? { connection.state.withLock { $0.endError } }

    /// Counters: received, published, reconnects, buffer high-water mark.
    public var statistics: MQTTClientStatistics { connection.statistics }
}

import Logging
import MQTT

/// The null bridge: the floor of any bridge, two broker hops and no logic.
///
/// It subscribes to every state input under `NullBridgeLayout`'s prefix and, for each live one
/// (not a retained replay), publishes C + 1 retained QoS 1 views, the user's own and its
/// contacts' (`BenchRing.viewers`, computed from the ring the benchmark sets up, not read from
/// retained lists), and nothing else: no parsing beyond copying the status and the marker, no
/// store, no privacy, no coalescing, no status or stats topics. Run by `presence-bench null-bridge`
/// as a process of its own, as the bridge is.
public enum NullBridge {
    /// Connects, subscribes, calls `ready` once the subscription is in place, then relays until
    /// the connection ends (an error) or the task is cancelled (`CancellationError`). In its
    /// process, SIGTERM's default action ends it: it has nothing to save.
    public static func run(configuration: MQTTConfiguration, ring: BenchRing, ready: @Sendable () -> Void) async throws {
        var logger = Logger(label: "null-bridge")
        logger.logLevel = .error
        let client = MQTTClient(configuration: configuration, logger: logger)
        do {
            try await client.connect()
            _ = try await client.subscribe([NullBridgeLayout.stateFilter], qos: .atLeastOnce)
            ready()
            try await relay(client.messages, through: client, ring: ring)
        } catch {
            await client.disconnect()
            throw error
        }
        await client.disconnect()
        try Task.checkCancellation()
        throw BenchError(message: "null bridge: the broker connection ended")
    }

    /// Publishes the views of every live state input in `messages`, in arrival order.
    private static func relay(_ messages: MQTTMessages, through client: MQTTClient, ring: BenchRing) async throws {
        for await message in messages {
            guard !message.retain, let target = NullBridgeLayout.stateUser(message.topic) else { continue }
            let view = NullBridgeLayout.view(target: target, input: message.payload)
            for viewer in ring.viewers(of: target) {
                try await client.publish(MQTTMessage(topic: NullBridgeLayout.viewTopic(viewer: viewer, target: target),
                                                     payload: view, qos: .atLeastOnce, retain: true))
            }
        }
    }
}

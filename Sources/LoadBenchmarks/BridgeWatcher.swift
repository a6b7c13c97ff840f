import Foundation
import MQTT
import Synchronization

/// A connection of the bench user that watches `bridge/status`, `bridge/stats` and, when asked,
/// the device state topics (to see when the broker delivers wills).
final class BridgeWatcher: Sendable {
    private struct State {
        var onlineCount = 0
        var lastOnlineAt: UInt64 = 0
        var stats: [UInt8] = []
        var willsSeen = 0
        var firstWillAt: UInt64 = 0
        var lastWillAt: UInt64 = 0
    }

    private let state = Mutex(State())
    let client: MQTTClient
    static let stateFilter = BenchPayloads.topics.deviceInputFilter(.state, device: BenchPayloads.device)

    init(client: MQTTClient) {
        self.client = client
    }

    /// Subscribes to status and stats and starts consuming on a detached task.
    func start() async throws -> Task<Void, Never> {
        _ = try await client.subscribe([BenchPayloads.topics.statusTopic, BenchPayloads.topics.statsTopic], qos: .atLeastOnce)
        return Task.detached { [self] in
            for await message in client.messages { receive(message) }
        }
    }

    private func receive(_ message: MQTTMessage) {
        let now = BenchClock.now()
        if message.topic == BenchPayloads.topics.statusTopic {
            // A retained copy (at subscribing, or again after the watcher reconnects) is old news.
            let online = !message.retain && String(decoding: message.payload, as: UTF8.self).contains("\"status\":\"online\"")
            if online { state.withLock { $0.onlineCount += 1; $0.lastOnlineAt = now } }
        } else if message.topic == BenchPayloads.topics.statsTopic {
            state.withLock { $0.stats = message.payload }
        } else if !message.retain, message.payload.count > 20 {
            let lost = String(decoding: message.payload, as: UTF8.self).contains("\"reason\":\"lost\"")
            guard lost else { return }
            state.withLock { box in
                box.willsSeen += 1
                if box.firstWillAt == 0 { box.firstWillAt = now }
                box.lastWillAt = now
            }
        }
    }

    /// How many `online` statuses the bridge has published (each start adds one).
    var onlineCount: Int { state.withLock { $0.onlineCount } }

    /// Waits until the bridge publishes more than `count` online statuses; returns when it did.
    func waitForOnline(after count: Int, timeout: Double) async -> UInt64? {
        let deadline = BenchClock.now() + UInt64(timeout * 1e6)
        while BenchClock.now() < deadline {
            let (online, at) = state.withLock { ($0.onlineCount, $0.lastOnlineAt) }
            if online > count { return at }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// An integer counter of the latest `bridge/stats`.
    func counter(_ name: String) -> Int? {
        let payload = state.withLock { $0.stats }
        let stats = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any]
        return (stats?[name] as? NSNumber)?.intValue
    }

    /// The latest `bridge/stats` as JSON text.
    var statsJSON: String? {
        let payload = state.withLock { $0.stats }
        return payload.isEmpty ? nil : String(decoding: payload, as: UTF8.self)
    }

    /// Starts counting wills (live state messages with `"reason":"lost"`), from zero.
    func watchWills() async throws {
        state.withLock { $0.willsSeen = 0; $0.firstWillAt = 0; $0.lastWillAt = 0 }
        _ = try await client.subscribe([Self.stateFilter], qos: .atMostOnce)
    }

    /// Stops watching the state topics.
    func stopWatchingWills() async {
        try? await client.unsubscribe([Self.stateFilter])
    }

    /// Wills seen, and when the first and the last arrived.
    var wills: (count: Int, firstAt: UInt64, lastAt: UInt64) {
        state.withLock { ($0.willsSeen, $0.firstWillAt, $0.lastWillAt) }
    }

    /// Waits until `count` wills were seen (at most `timeout` seconds).
    func waitForWills(_ count: Int, timeout: Double) async {
        let deadline = BenchClock.now() + UInt64(timeout * 1e6)
        while BenchClock.now() < deadline, wills.count < count {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

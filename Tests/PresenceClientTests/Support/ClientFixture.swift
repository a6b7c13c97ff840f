import BridgeTestSupport
import Foundation
import LocalBroker
import Logging
import MQTT
import PresenceClient
import PresenceCore
import Testing

/// The SDK's side of the shared `BridgeFixture`: devices, viewers and `presence-bridge` processes,
/// each stopped at tear-down.
extension BridgeFixture {
    /// The SDK's configuration for `user` against this broker (fast reconnection for tests).
    func presenceConfiguration(_ user: String) throws -> PresenceConfiguration {
        let id = try #require(UserID(user))
        var configuration = PresenceConfiguration(brokerURL: broker.url, user: id, password: "pw-\(user)")
        configuration.reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1))
        return configuration
    }

    /// A started SDK device of `user`.
    func sdkDevice(_ user: String, _ device: String, platform: String? = "mobile",
                   heartbeat: Duration = .seconds(30)) async throws -> PresenceDevice {
        let presence = PresenceDevice(configuration: try presenceConfiguration(user), device: try #require(DeviceID(device)),
                                      platform: platform, heartbeatInterval: heartbeat,
                                      logger: Logger(label: "test-device-\(user)-\(device)"))
        onTearDown { await presence.stop() }
        try await presence.start()
        return presence
    }

    /// A started SDK viewer of `user`.
    func sdkViewer(_ user: String) async throws -> PresenceViewer {
        let viewer = PresenceViewer(configuration: try presenceConfiguration(user), logger: Logger(label: "test-viewer-\(user)"))
        onTearDown { await viewer.stop() }
        try await viewer.start()
        return viewer
    }

    /// Publishes `payload` retained with QoS 1 on `presence/v1/in/{suffix}` as `user` (lists, settings).
    func publish(_ user: String, _ suffix: String, _ payload: String) async throws {
        try await send(account(user), suffix, payload, retain: true)
    }

    /// Starts `presence-bridge` with `arguments` (broker URL and password added).
    func process(_ arguments: [String], user: String) async throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["PRESENCE_PASSWORD"] = "pw-\(user)"
        let process = try await ChildProcess.spawn(BridgeProcess.executable, arguments + ["--broker", broker.url],
                                             environment: environment)
        onTearDown { _ = await process.terminate() }
        return process
    }
}

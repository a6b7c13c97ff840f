import Foundation
import Logging
import MQTT

/// Real device connections for the will storm, run in child processes (`presence-bench
/// devices`, 250 each, so that the storm's connects and cuts spread over processes). Each client
/// holds four descriptors (its socket, libmosquitto's socket pair, the loop's eventfd): `connect`
/// raises the soft limit of open files to what the fleet needs (up to the hard limit), since the
/// usual soft limit of 1,024 would not hold 250. (Each also holds ~200 KiB of kernel memory
/// in libmosquitto's wake-up socket pair, which only `mosquitto_loop` reads: see `Connection`.)
///
/// Each device `u{n}` connects as the bench user with the client id `u{n}-d1` and its will
/// (retained `offline`, `lost`, session `r{n}`), then publishes `online` with that session.
public final class DeviceFleet: Sendable {
    private let clients: [MQTTClient]

    private init(clients: [MQTTClient]) {
        self.clients = clients
    }

    /// Connects devices `first ..< first + count` and says them online (markers numbered from `seqBase + n`).
    public static func connect(brokerURL: String, password: String, first: Int, count: Int, seqBase: Int) async throws -> DeviceFleet {
        var logger = Logger(label: "bench-devices")
        logger.logLevel = .error
        raiseOpenFileLimit(to: 4 * count + 64)
        var clients: [MQTTClient] = []
        for user in first..<(first + count) {
            var configuration = try MQTTConfiguration(url: brokerURL, clientID: "u\(user)-d1")
            configuration.username = "bench"
            configuration.password = password
            configuration.keepAlive = 300
            configuration.reconnect.enabled = false
            configuration.will = MQTTMessage(topic: BenchPayloads.stateTopic(user), payload: BenchPayloads.will(session: "r\(user)"),
                                             qos: .atLeastOnce, retain: true)
            clients.append(MQTTClient(configuration: configuration, logger: logger))
        }
        let fleet = DeviceFleet(clients: clients)
        for groupStart in stride(from: 0, to: count, by: 25) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for offset in groupStart..<min(groupStart + 25, count) {
                    let client = clients[offset]
                    let user = first + offset
                    group.addTask {
                        try await client.connect()
                        try await client.publish(MQTTMessage(
                            topic: BenchPayloads.stateTopic(user),
                            payload: BenchPayloads.state(.online, session: "r\(user)", seq: seqBase + user, sent: BenchClock.now()),
                            qos: .atLeastOnce, retain: true))
                    }
                }
                try await group.waitForAll()
            }
        }
        for client in clients { await client.waitForPublishes() }
        return fleet
    }

    /// Closes every socket at once without DISCONNECT: the broker publishes every will.
    public func cut() async {
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.abortConnection() } }
        }
    }
}

/// Raises this process's soft limit of open files to `wanted`, or to the hard limit if lower;
/// never lowers it.
private func raiseOpenFileLimit(to wanted: Int) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
    limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

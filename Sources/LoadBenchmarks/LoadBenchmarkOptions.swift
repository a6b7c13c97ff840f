/// The sizes of one load benchmark run (`presence-bench load`).
///
/// `full` holds the sizes where they fit in a few minutes on a 2-core machine; `quick`
/// is a smoke run of about a minute. `users` and `contacts` may be set on the command line;
/// the storms and the login wave then use every user.
public struct LoadBenchmarkOptions: Codable, Sendable {
    /// Users in the main run (`u0` … `u{users-1}`), each with one device and `contacts` contacts (a ring).
    public var users: Int
    /// Contacts per user: each state change is seen by `contacts` viewers and the user itself.
    public var contacts: Int
    /// Rounds of the throughput and latency comparisons (medians are reported).
    public var rounds: Int
    /// State changes per throughput round.
    public var throughputEvents: Int
    /// The paced rate of the fixed-rate latency comparison, events (and relay messages) per
    /// second; the other two run at 25 % and 50 % of the raw relay's measured rate.
    public var latencyRate: Int
    /// Seconds per latency round.
    public var latencySeconds: Double
    /// Heartbeats in the heartbeat storm.
    public var heartbeats: Int
    /// Devices dropped at once in the will storm (published wills); at most `users`.
    public var willStorm: Int
    /// Real client connections holding wills, cut at once; at most `users`.
    public var realClients: Int
    /// Users coming online within one second; at most `users`.
    public var loginWave: Int
    /// Users in the restart measurement on a broker of its own, and their contacts.
    public var restartUsers: Int
    /// Contacts per user in the restart measurement.
    public var restartContacts: Int
    /// The `presence-bridge` executable to run as the bridge.
    public var bridgeExecutable: String
    /// true for the smoke sizes.
    public var quick: Bool
    /// Only these scenarios (cold start always runs): throughput, latency, heartbeat, privacy,
    /// login, wills, real-wills, restart, large-restart; nil = all.
    public var only: [String]? = nil

    /// Whether the scenario `name` is to run.
    func runs(_ name: String) -> Bool { only.map { $0.contains(name) } ?? true }

    /// The full sizes (the issue's, except the large restart: 10,000 users by default, the full
    /// 100,000 with `--restart-users 100000`, which takes about 8 minutes).
    public static func full(bridgeExecutable: String) -> LoadBenchmarkOptions {
        LoadBenchmarkOptions(
            users: 10_000, contacts: 10, rounds: 3, throughputEvents: 30_000, latencyRate: 5_000, latencySeconds: 5,
            heartbeats: 100_000, willStorm: 10_000, realClients: 1_000, loginWave: 10_000,
            restartUsers: 10_000, restartContacts: 50, bridgeExecutable: bridgeExecutable, quick: false)
    }

    /// Smoke sizes: about a minute.
    public static func quick(bridgeExecutable: String) -> LoadBenchmarkOptions {
        LoadBenchmarkOptions(
            users: 2_000, contacts: 10, rounds: 1, throughputEvents: 5_000, latencyRate: 5_000, latencySeconds: 2,
            heartbeats: 20_000, willStorm: 2_000, realClients: 200, loginWave: 2_000,
            restartUsers: 2_000, restartContacts: 20, bridgeExecutable: bridgeExecutable, quick: true)
    }

    /// Sets the user count (and the storms, the wave and the privacy audience with it).
    public mutating func setUsers(_ count: Int) {
        users = max(count, 2)
        willStorm = users
        loginWave = users
        realClients = min(realClients, users)
    }

    /// Keeps every size within what the run can do.
    mutating func normalise() {
        users = max(users, 2)
        contacts = min(max(contacts, 1), min(users - 1, 1_999))
        rounds = max(rounds, 1)
        throughputEvents = max(throughputEvents, 1)
        latencyRate = max(latencyRate, 1)
        latencySeconds = max(latencySeconds, 0.5)
        heartbeats = max(heartbeats, 1)
        willStorm = min(max(willStorm, 1), users)
        realClients = min(max(realClients, 1), users)
        loginWave = min(max(loginWave, 1), users)
        restartUsers = max(restartUsers, 2)
        restartContacts = min(max(restartContacts, 1), min(restartUsers - 1, 1_999))
    }
}

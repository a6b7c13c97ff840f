import Foundation
import PresenceCore

/// Micro-benchmarks of the presence engine alone (no MQTT, no JSON, no store), one core.
///
/// Each figure is printed next to its goal: heartbeats ≥ 2M/s, status changes with 10 viewers
/// ≥ 500k/s, resident memory for 100,000 users × 50 contacts ≤ 200 MiB, and restoring them plus
/// enumerating every view ≤ 2 s. Run it from a release build.
public enum EngineBenchmark {
    /// Runs every benchmark and returns a printable report (takes a few seconds).
    public static func run() -> String {
        var lines = ["presence engine benchmark (CPU time of one thread; release build expected)"]
        lines.append(heartbeats())
        lines.append(statusChanges())
        lines.append(settingsChange())
        lines.append(contentsOf: restoreAndEnumerate())
        return lines.joined(separator: "\n")
    }

    static func id(_ prefix: String, _ number: Int) -> UserID {
        UserID("\(prefix)\(number)") ?? UserID("invalid")!
    }

    static func device(_ number: Int) -> DeviceID {
        DeviceID("d\(number)") ?? DeviceID("invalid")!
    }

    /// Measures `body` in CPU time of this thread: the cost on one core, whatever else the machine runs.
    static func measure(_ body: () -> Void) -> Duration {
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        let nanoseconds = Int64(end.tv_sec - start.tv_sec) * 1_000_000_000 + Int64(end.tv_nsec - start.tv_nsec)
        return .nanoseconds(nanoseconds)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func rate(_ count: Int, _ duration: Duration) -> String {
        let perSecond = Double(count) / max(seconds(duration), 1e-9)
        return perSecond >= 1e6 ? String(format: "%.2fM/s", perSecond / 1e6) : String(format: "%.0fk/s", perSecond / 1e3)
    }

    /// Both clocks at `milliseconds`: the benchmarks never step the wall clock.
    static func reading(_ milliseconds: Int64) -> ClockReading {
        ClockReading(instant: MonotonicInstant(milliseconds: milliseconds), wall: Timestamp(millisecondsSinceEpoch: milliseconds))
    }

    /// Heartbeats of online devices: the hot path, no output.
    static func heartbeats() -> String {
        let userCount = 10_000
        var engine = PresenceEngine()
        var time: Int64 = 1_700_000_000_000
        var inputs: [PresenceInput] = []
        for n in 0..<userCount {
            let user = id("u", n)
            _ = try? engine.apply(.deviceState(user, device(1), DeviceState(status: .online, session: "s")), live: true,
                                  at: reading(time))
            inputs.append(.heartbeat(user, device(1), session: "s"))
        }
        let total = 5_000_000
        var outputs = 0
        let elapsed = measure {
            for n in 0..<total {
                if n % 1000 == 0 { time += 1 }
                let output = try? engine.apply(inputs[n % userCount], live: true, at: reading(time))
                outputs += output?.viewChanges.count ?? 1
            }
        }
        return "heartbeats of online devices: \(rate(total, elapsed)) (goal ≥ 2M/s; \(total) events, \(outputs) view changes)"
    }

    /// A device toggling online/away, its user watched by 10 contacts: 11 views published each time.
    static func statusChanges() -> String {
        let userCount = 10_000
        var engine = PresenceEngine()
        let time = reading(1_700_000_000_000)
        for n in 0..<userCount {
            let contacts = (1...10).map { id("u", (n + $0 * 97) % userCount) }
            _ = try? engine.apply(.contacts(id("u", n), contacts), live: true, at: time)
        }
        var inputs: [PresenceInput] = []
        for n in 0..<userCount {
            for status in [DeviceStatus.online, .away] {
                inputs.append(.deviceState(id("u", n), device(1), DeviceState(status: status, session: "s", platform: "mobile")))
            }
        }
        for input in inputs.prefix(2 * userCount) { _ = try? engine.apply(input, live: true, at: time) }
        let total = 1_000_000
        var published = 0
        let elapsed = measure {
            for n in 0..<total {
                let input = inputs[(n % userCount) * 2 + (n / userCount) % 2]
                published += (try? engine.apply(input, live: true, at: time))?.viewChanges.count ?? 0
            }
        }
        return "status changes, 10 viewers each: \(rate(total, elapsed)) (goal ≥ 500k/s; \(published) views published)"
    }

    /// One user watched by 10,000 viewers flips its status setting.
    static func settingsChange() -> String {
        var engine = PresenceEngine()
        let time = reading(1_700_000_000_000)
        let star = id("star", 0)
        for n in 0..<10_000 { _ = try? engine.apply(.contacts(id("v", n), [star]), live: true, at: time) }
        _ = try? engine.apply(.deviceState(star, device(1), DeviceState(status: .online)), live: true, at: time)
        let rounds = 50
        var published = 0
        let elapsed = measure {
            for n in 0..<rounds {
                let audience: Audience = n % 2 == 0 ? .nobody : .everyone
                let update = PrivacySettingsUpdate(showOnlineStatus: audience)
                published += (try? engine.apply(.settings(star, update), live: true, at: time))?.viewChanges.count ?? 0
            }
        }
        let each = seconds(elapsed) / Double(rounds) * 1000
        return String(format: "settings change, 10,000 viewers: %.2f ms each (%d views published per change)", each, published / rounds)
    }

    /// Resident memory in bytes, from /proc/self/statm (0 where unavailable).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// 100,000 users × 50 contacts: restore time, memory, and enumerating every view.
    static func restoreAndEnumerate() -> [String] {
        let userCount = 100_000
        let contactCount = 50
        let before = residentBytes()
        var engine = PresenceEngine()
        var restoreTime = Duration.zero
        let batch = 1_000
        for start in stride(from: 0, to: userCount, by: batch) {
            var stored: [StoredUser] = []
            stored.reserveCapacity(batch)
            for n in start..<min(start + batch, userCount) {
                let contacts = (1...contactCount).map { id("user", (n + $0 * 1_999) % userCount) }
                stored.append(StoredUser(user: id("user", n), lastSeen: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000),
                                         settings: .defaults, contacts: contacts))
            }
            restoreTime += measure { engine.restore(stored) }
        }
        let after = residentBytes()
        var views = 0
        let enumerateTime = measure {
            engine.forEachView { _, _, view in if view.status != nil { views += 1 } }
        }
        let mebibytes = Double(after - before) / 1_048_576
        let total = seconds(restoreTime) + seconds(enumerateTime)
        return [
            String(format: "memory, 100,000 users × 50 contacts: %.1f MiB resident (goal ≤ 200 MiB)", mebibytes),
            String(format: "restore 100,000 users: %.2f s; enumerate %d views: %.2f s; together %.2f s (goal ≤ 2 s)",
                   seconds(restoreTime), views, seconds(enumerateTime), total),
        ]
    }
}

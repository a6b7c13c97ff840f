import Foundation
import PresenceBridge

/// systemd's watchdog (`WatchdogSec=` in the unit): while `$WATCHDOG_USEC` is set (and
/// `$WATCHDOG_PID`, if set, is this process), `WATCHDOG=1` every half of that interval, but
/// only while the bridge is alive (`PresenceBridgeService.isAlive`): a hung writer stops the
/// pings, and systemd restarts the service.
public struct SystemdWatchdog: Sendable {
    /// Half of `WATCHDOG_USEC`.
    public let interval: Duration
    private let notifier: SystemdNotifier

    /// The watchdog systemd asks for; nil when it asks for none.
    public static func fromEnvironment(notifier: SystemdNotifier?,
                                       environment: [String: String] = ProcessInfo.processInfo.environment) -> SystemdWatchdog? {
        guard let notifier, let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return SystemdWatchdog(interval: .microseconds(microseconds / 2), notifier: notifier)
    }

    init(interval: Duration, notifier: SystemdNotifier) {
        self.interval = interval
        self.notifier = notifier
    }

    /// Pings until the task is cancelled.
    public func run(alive: @Sendable () -> Bool) async {
        while !Task.isCancelled {
            if alive() { notifier.send(["WATCHDOG=1"]) }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}

import Foundation
import PresenceBridge
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// systemd's notify protocol (`Type=notify`): `KEY=value` lines in one datagram to the unix
/// socket named by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace).
///
/// What the bridge says, following its `Readiness`: `READY=1` the first time it is ready,
/// `STATUS=…` (the readiness reason) whenever that changes, `STOPPING=1` when a shutdown begins,
/// and `WATCHDOG=1` from `SystemdWatchdog`. Sends never block (`MSG_DONTWAIT`): a datagram that
/// finds the socket full is dropped, as systemd's own library does.
public final class SystemdNotifier: Sendable {
    private let fd: Int32
    private let address: [UInt8]

    /// The notifier `$NOTIFY_SOCKET` asks for; nil when it is not set (not under systemd).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SystemdNotifier? {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        return try SystemdNotifier(socketPath: path)
    }

    /// A notifier for the socket at `socketPath` (`@name`: abstract namespace).
    public init(socketPath: String) throws {
        var bytes = Array(socketPath.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw NotifyError(description: "NOTIFY_SOCKET path too long: \(socketPath)")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NotifyError(description: "socket: \(String(cString: strerror(errno)))") }
        self.fd = fd
        address = bytes
    }

    deinit { close(fd) }

    /// Sends `lines` (`READY=1`, `STATUS=…`) in one datagram; false when it could not be sent.
    @discardableResult
    public func send(_ lines: [String]) -> Bool {
        let message = Array(lines.joined(separator: "\n").utf8)
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { path in
            for (index, byte) in address.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + address.count + (address.first == 0 ? 0 : 1))
        let sent = message.withUnsafeBytes { buffer in
            withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL), sockaddrPointer, length)
                }
            }
        }
        return sent == message.count
    }

    /// Tells systemd what `readiness` says from now on: `STATUS=` at once and on each change of
    /// the reason, `READY=1` the first time it is ready, `STOPPING=1` when stopping begins.
    public func follow(_ readiness: Readiness) {
        send(["STATUS=" + Self.status(readiness.current)])
        let readySent = Mutex(false)
        readiness.observe { [self] old, new in
            var lines: [String] = []
            if new.stopping, !old.stopping { lines.append("STOPPING=1") }
            if new.isReady, !readySent.withLock({ sent in defer { sent = true }; return sent }) { lines.append("READY=1") }
            if new.reason != old.reason { lines.append("STATUS=" + Self.status(new)) }
            if !lines.isEmpty { send(lines) }
        }
    }

    /// The one-line status systemctl shows.
    static func status(_ state: Readiness.State) -> String {
        guard state.isReady else { return state.reason }
        return "live" + (state.lastResync.map { " (resync from the \($0.source) in \($0.milliseconds) ms)" } ?? "")
    }
}

/// The notify socket could not be used.
public struct NotifyError: Error, CustomStringConvertible {
    public var description: String
}

/// Where the operators' HTTP listener binds: `--http HOST:PORT` (`PRESENCE_HTTP`), the host an
/// IPv4 address or a bracketed IPv6 one (`127.0.0.1:9464`, `[::1]:9464`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public var isIPv6: Bool

    /// Parses `HOST:PORT`; nil when it is not of that form.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        isIPv6 = host.hasPrefix("[") && host.hasSuffix("]")
        if isIPv6 { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, isIPv6 || !host.contains(":") else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

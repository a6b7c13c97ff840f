import CMosquitto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error of the MQTT client: a code to switch on and a human message.
///
/// libmosquitto's `MOSQ_ERR_*` values and the broker's CONNACK reason codes are wrapped here,
/// with their descriptions from `mosquitto_strerror` / `mosquitto_connack_string` /
/// `mosquitto_reason_string`, so no caller imports the C module.
public struct MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, coarsely; `message` has the detail. A struct with static members, not
    /// an enum, so that new codes can come without breaking a caller's `switch` (which needs a
    /// `default:`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's name, e.g. `notAuthorized`.
        public let name: String

        private init(_ name: String) { self.name = name }

        public var description: String { name }

        /// The broker refused the credentials or the client (bad user name or password, not authorized).
        public static let notAuthorized = Code("notAuthorized")
        /// The TCP connection was refused, or the broker refused the connection for another reason.
        public static let connectionRefused = Code("connectionRefused")
        /// There is no connection (not connected yet, or it dropped).
        public static let noConnection = Code("noConnection")
        /// The connection was lost while waiting for an answer.
        public static let connectionLost = Code("connectionLost")
        /// The broker cannot be reached: host name lookup failed.
        public static let lookupFailed = Code("lookupFailed")
        /// The URL is not `mqtt://host[:port]` or `mqtts://host[:port]`.
        public static let invalidURL = Code("invalidURL")
        /// An argument was rejected (topic, filter, client id, option).
        public static let invalidArgument = Code("invalidArgument")
        /// A topic or filter was not valid UTF-8.
        public static let malformedUTF8 = Code("malformedUTF8")
        /// The payload or packet is larger than the protocol or the broker allows.
        public static let payloadTooLarge = Code("payloadTooLarge")
        /// TLS set-up or handshake failed.
        public static let tls = Code("tls")
        /// The protocol was violated (by either side) or a feature is not supported.
        public static let protocolError = Code("protocolError")
        /// The client was used in the wrong state (closed, or `connect()` while connecting).
        public static let invalidState = Code("invalidState")
        /// The keepalive expired: the broker stopped answering.
        public static let keepaliveTimeout = Code("keepaliveTimeout")
        /// An operating-system error; `errno` is set.
        public static let system = Code("system")
        /// The waiting task was cancelled.
        public static let cancelled = Code("cancelled")
        /// Out of memory.
        public static let noMemory = Code("noMemory")
        /// Another connection with the same client id took this session over (the broker's
        /// DISCONNECT with MQTT 5 reason code 0x8E); see `MQTTConfiguration.reconnectsWhenTakenOver`.
        public static let sessionTakenOver = Code("sessionTakenOver")
        /// Anything else; `mosquittoCode` or `reasonCode` tells which.
        public static let other = Code("other")
    }

    /// What went wrong.
    public var code: Code
    /// Human text, e.g. "Connection Refused: not authorised." or "Connection refused".
    public var message: String
    /// The `MOSQ_ERR_*` value, when libmosquitto returned one.
    public var mosquittoCode: Int32?
    /// The MQTT reason code (CONNACK, DISCONNECT), when the broker sent one.
    public var reasonCode: Int32?
    /// The operating-system error number, for `MOSQ_ERR_ERRNO`.
    public var errno: Int32?

    /// An error with a code and a message.
    public init(code: Code, message: String, mosquittoCode: Int32? = nil, reasonCode: Int32? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.mosquittoCode = mosquittoCode
        self.reasonCode = reasonCode
        self.errno = errno
    }

    /// True when trying again cannot help without a change of configuration: refused
    /// credentials, an invalid URL, argument or client id, a TLS set-up or a protocol mismatch.
    /// Every other failure (refused or lost connections, lookups, timeouts) may pass.
    public var isPermanent: Bool {
        [.notAuthorized, .invalidArgument, .invalidURL, .protocolError, .tls, .malformedUTF8, .invalidState].contains(code)
    }

    /// `code: message`.
    public var description: String { "MQTTError.\(code): \(message)" }

    /// Wraps a `MOSQ_ERR_*` return value; `errno` must be captured right after the failing call.
    init(mosquitto rc: Int32, errno savedErrno: Int32 = 0, context: String? = nil) {
        let code: Code
        var text: String
        var errnoValue: Int32?
        switch rc {
        case MOSQError.errno:
            errnoValue = savedErrno
            text = String(cString: strerror(savedErrno))
            code = savedErrno == ECONNREFUSED ? .connectionRefused : .system
        default:
            text = String(cString: mosquitto_strerror(rc))
            switch rc {
            case MOSQError.noMemory: code = .noMemory
            case MOSQError.protocolError, MOSQError.malformedPacket, MOSQError.duplicateProperty,
                MOSQError.notSupported, MOSQError.qosNotSupported, MOSQError.retainNotSupported:
                code = .protocolError
            case MOSQError.invalid: code = .invalidArgument
            case MOSQError.noConnection: code = .noConnection
            case MOSQError.connectionRefused: code = .connectionRefused
            case MOSQError.connectionLost: code = .connectionLost
            case MOSQError.tls, MOSQError.tlsHandshake: code = .tls
            case MOSQError.payloadSize, MOSQError.oversizePacket: code = .payloadTooLarge
            case MOSQError.auth, MOSQError.aclDenied: code = .notAuthorized
            case MOSQError.lookup, MOSQError.eai: code = .lookupFailed
            case MOSQError.malformedUTF8: code = .malformedUTF8
            case MOSQError.keepalive: code = .keepaliveTimeout
            default: code = .other
            }
        }
        if let context { text = "\(context): \(text)" }
        self.init(code: code, message: text, mosquittoCode: rc, errno: errnoValue)
    }

    /// Wraps a refused CONNACK: a 3.1.1 return code (1-5) or an MQTT 5 reason code (>= 0x80).
    init(connack reason: Int32, version: MQTTProtocolVersion) {
        let text: String
        let code: Code
        switch version {
        case .v311:
            text = String(cString: mosquitto_connack_string(reason))
            switch reason {
            case 4, 5: code = .notAuthorized
            case 2: code = .invalidArgument
            case 1: code = .protocolError
            default: code = .connectionRefused
            }
        case .v5:
            text = "Connection Refused: " + String(cString: mosquitto_reason_string(reason))
            switch reason {
            case 134, 135, 138, 140: code = .notAuthorized   // bad user/password, not authorized, banned, bad auth method
            case 133: code = .invalidArgument                // client identifier not valid
            case 132, 129, 130: code = .protocolError        // unsupported version, malformed, protocol error
            case 149: code = .payloadTooLarge                // packet too large
            default: code = .connectionRefused
            }
        }
        self.init(code: code, message: text, reasonCode: reason)
    }

    /// The client was closed or used out of order.
    static func invalidState(_ text: String) -> MQTTError { MQTTError(code: .invalidState, message: text) }

    /// No connection to the broker right now.
    static let noConnection = MQTTError(code: .noConnection, message: "not connected to the broker")
}

/// `MOSQ_ERR_*` as plain Int32 values, so that Swift code can switch on them.
enum MOSQError {
    static let success = Int32(MOSQ_ERR_SUCCESS.rawValue)
    static let noMemory = Int32(MOSQ_ERR_NOMEM.rawValue)
    static let protocolError = Int32(MOSQ_ERR_PROTOCOL.rawValue)
    static let invalid = Int32(MOSQ_ERR_INVAL.rawValue)
    static let noConnection = Int32(MOSQ_ERR_NO_CONN.rawValue)
    static let connectionRefused = Int32(MOSQ_ERR_CONN_REFUSED.rawValue)
    static let connectionLost = Int32(MOSQ_ERR_CONN_LOST.rawValue)
    static let tls = Int32(MOSQ_ERR_TLS.rawValue)
    static let payloadSize = Int32(MOSQ_ERR_PAYLOAD_SIZE.rawValue)
    static let notSupported = Int32(MOSQ_ERR_NOT_SUPPORTED.rawValue)
    static let auth = Int32(MOSQ_ERR_AUTH.rawValue)
    static let aclDenied = Int32(MOSQ_ERR_ACL_DENIED.rawValue)
    static let errno = Int32(MOSQ_ERR_ERRNO.rawValue)
    static let eai = Int32(MOSQ_ERR_EAI.rawValue)
    static let malformedUTF8 = Int32(MOSQ_ERR_MALFORMED_UTF8.rawValue)
    static let keepalive = Int32(MOSQ_ERR_KEEPALIVE.rawValue)
    static let lookup = Int32(MOSQ_ERR_LOOKUP.rawValue)
    static let malformedPacket = Int32(MOSQ_ERR_MALFORMED_PACKET.rawValue)
    static let duplicateProperty = Int32(MOSQ_ERR_DUPLICATE_PROPERTY.rawValue)
    static let tlsHandshake = Int32(MOSQ_ERR_TLS_HANDSHAKE.rawValue)
    static let qosNotSupported = Int32(MOSQ_ERR_QOS_NOT_SUPPORTED.rawValue)
    static let oversizePacket = Int32(MOSQ_ERR_OVERSIZE_PACKET.rawValue)
    static let retainNotSupported = Int32(MOSQ_ERR_RETAIN_NOT_SUPPORTED.rawValue)
}

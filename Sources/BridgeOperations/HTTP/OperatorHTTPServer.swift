import FlyingFox
import FlyingSocks
import Foundation
import Logging
import Synchronization

/// The operators' HTTP listener (`--http`): FlyingFox serving `OperatorEndpoints`.
///
/// FlyingFox is a small HTTP/1.1 server on Swift concurrency with no dependencies beyond the
/// C library; its socket wait (`epoll_wait`) runs on a dispatch queue of its own, never on the
/// cooperative pool. Its own log lines go to swift-log at debug level (`FlyingFoxLog`).
public final class OperatorHTTPServer: Sendable {
    public let address: ListenAddress
    private let server: HTTPServer
    /// Why `run()` failed before it listened, for `waitUntilListening`.
    private let failure = Mutex<(any Error)?>(nil)

    /// A server for `endpoints` on `address`; nothing is bound until `run()`.
    public init(address: ListenAddress, endpoints: OperatorEndpoints, logger: Logger) throws {
        self.address = address
        let socketAddress: any SocketAddress = address.isIPv6
            ? try sockaddr_in6.inet6(ip6: address.host, port: address.port)
            : try sockaddr_in.inet(ip4: address.host, port: address.port)
        server = HTTPServer(address: socketAddress, timeout: 15, logger: FlyingFoxLog(logger: logger),
                            handler: ClosureHTTPHandler { request in
                                guard request.method == .GET || request.method == .HEAD else {
                                    return HTTPResponse(statusCode: HTTPStatusCode(405, phrase: "Method Not Allowed"),
                                                        headers: [.contentType: "text/plain; charset=utf-8", HTTPHeader("Allow"): "GET, HEAD"],
                                                        body: Data("only GET and HEAD are served\n".utf8))
                                }
                                let answer = endpoints.answer(path: request.path)
                                let body = request.method == .HEAD ? Data() : Data(answer.body)
                                return HTTPResponse(statusCode: HTTPStatusCode(answer.status, phrase: Self.phrase(answer.status)),
                                                    headers: [.contentType: answer.contentType], body: body)
                            })
    }

    /// Binds and serves until the task is cancelled; throws `ListenError` when it cannot bind.
    public func run() async throws {
        do {
            try await server.run()
        } catch is CancellationError {
            return
        } catch {
            let failed = ListenError(address: address, underlying: error)
            failure.withLock { $0 = failed }
            throw failed
        }
    }

    /// Returns once `run()` listens; throws its `ListenError` if it could not bind, or after
    /// `timeout`. Cancellable.
    public func waitUntilListening(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while await !server.isListening {
            if let error = failure.withLock({ $0 }) { throw error }
            guard ContinuousClock.now < deadline else { throw ListenError(address: address, underlying: CancellationError()) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private static func phrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 404: "Not Found"
        default: "Service Unavailable"
        }
    }
}

/// The listener could not bind its address (taken, or not an address of this machine).
public struct ListenError: Error, CustomStringConvertible {
    public var address: ListenAddress
    public var underlying: any Error
    public var description: String { "cannot listen for HTTP on \(address): \(underlying.localizedDescription)" }
}

/// FlyingFox's log lines into swift-log: requests and connections at debug, its warnings as
/// notices, a client's broken connection at info. Its critical lines are the failures `run()`
/// throws, which the bridge reports itself (`ListenError`): debug too.
struct FlyingFoxLog: FlyingSocks.Logging {
    let logger: Logger

    func logDebug(_ debug: @autoclosure () -> String) { logger.debug("\(debug())") }
    func logInfo(_ info: @autoclosure () -> String) { logger.debug("\(info())") }
    func logWarning(_ warning: @autoclosure () -> String) { logger.notice("\(warning())") }
    func logError(_ error: @autoclosure () -> String) { logger.info("\(error())") }
    func logCritical(_ critical: @autoclosure () -> String) { logger.debug("\(critical())") }
}

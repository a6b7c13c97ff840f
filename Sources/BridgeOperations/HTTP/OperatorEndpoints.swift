import PresenceBridge

/// What the operators' HTTP listener answers, independent of the server that carries it:
///
/// - `/metrics`: the Prometheus exposition, refreshed from the bridge at the scrape;
/// - `/livez`: 200 while the bridge's loop runs (`PresenceBridgeService.isAlive`), whatever the
///   broker does; 503 once it has stopped or a turn of the writer hangs;
/// - `/readyz`: 200 only while ready (`Readiness`), else 503 with the reason in one line.
///
/// Anything else is 404: the listener never serves presence data.
public struct OperatorEndpoints: Sendable {
    /// One answer: status code, content type, body.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]

        init(status: Int, text: String) {
            self.status = status
            contentType = "text/plain; charset=utf-8"
            body = Array((text + "\n").utf8)
        }

        init(status: Int, contentType: String, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    let service: PresenceBridgeService
    let exposition: PrometheusExposition

    public init(service: PresenceBridgeService, exposition: PrometheusExposition) {
        self.service = service
        self.exposition = exposition
    }

    /// The answer to a GET (or HEAD) of `path`.
    public func answer(path: String) -> Answer {
        switch path {
        case "/metrics":
            service.refreshMetrics()
            return Answer(status: 200, contentType: PrometheusExposition.contentType, body: exposition.exposition())
        case "/livez":
            return service.isAlive ? Answer(status: 200, text: "alive") : Answer(status: 503, text: "the bridge's loop is not running")
        case "/readyz":
            let readiness = service.readiness.current
            return readiness.isReady ? Answer(status: 200, text: "ready") : Answer(status: 503, text: readiness.reason)
        default:
            return Answer(status: 404, text: "not found: /metrics, /livez and /readyz are served")
        }
    }
}

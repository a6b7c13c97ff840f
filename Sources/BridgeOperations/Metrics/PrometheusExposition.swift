import Metrics
import PresenceBridge
import Prometheus

/// The bridge's metrics in Prometheus' text format: one registry, a swift-metrics factory that
/// fills it (with the histogram buckets `BridgeMetrics` chose), and the exposition of a scrape.
public final class PrometheusExposition: Sendable {
    /// The text format's content type (version 0.0.4).
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public let registry: PrometheusCollectorRegistry
    /// The factory to hand the bridge (and `MetricsSystem.bootstrap`).
    public let factory: any MetricsFactory

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = BridgeMetrics.histogramBuckets
        self.registry = registry
        self.factory = factory
    }

    /// Every series, as a scrape gets it.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}

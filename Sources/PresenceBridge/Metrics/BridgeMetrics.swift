import Metrics
import MQTT
import PresenceCore
import Synchronization

/// The bridge's metrics, through the swift-metrics facade (any backend; the executable uses
/// swift-prometheus). Names follow Prometheus: base units, `_total` on counters, and never a
/// user id in a label.
///
/// One source: the counters are not counted twice. The writer's `BridgeStatistics` (what
/// `bridge/stats` shows) and the MQTT client's `MQTTClientStatistics` are the numbers; after
/// every batch `export` adds to each counter what its number grew by since the last export,
/// and sets the gauges. The histograms are measured where the time passes (`PipelineTimings`,
/// and the hand-over of a resync's last view).
public final class BridgeMetrics: Sendable {
    /// The metric names, each stated once.
    public enum Name {
        public static let buildInfo = "presence_bridge_build_info"
        public static let messagesReceived = "presence_bridge_messages_received_total"
        public static let inputsApplied = "presence_bridge_inputs_applied_total"
        public static let inputsRejected = "presence_bridge_inputs_rejected_total"
        public static let viewsPublished = "presence_bridge_views_published_total"
        public static let viewsCoalesced = "presence_bridge_views_coalesced_total"
        public static let viewsDeleted = "presence_bridge_views_deleted_total"
        public static let viewsRepaired = "presence_bridge_views_repaired_total"
        public static let errorsPublished = "presence_bridge_errors_published_total"
        public static let reconnects = "presence_bridge_broker_reconnects_total"
        public static let resyncs = "presence_bridge_resyncs_total"
        public static let storeTransactions = "presence_bridge_store_transactions_total"
        public static let storeFailures = "presence_bridge_store_failures_total"
        public static let checkpoints = "presence_bridge_checkpoints_published_total"
        public static let publishesRefused = "presence_bridge_mqtt_publishes_refused_total"
        public static let inboxStalls = "presence_bridge_mqtt_inbox_stalls_total"
        public static let inboxHighWater = "presence_bridge_mqtt_inbox_high_water"
        public static let inboxDepth = "presence_bridge_mqtt_inbox_depth"
        public static let users = "presence_bridge_users"
        public static let internedIDs = "presence_bridge_interned_ids"
        public static let devicesOnline = "presence_bridge_devices_online"
        public static let brokerConnected = "presence_bridge_broker_connected"
        public static let live = "presence_bridge_live"
        public static let outboxViews = "presence_bridge_outbox_views"
        public static let viewLatency = "presence_bridge_view_latency_seconds"
        public static let storeCommit = "presence_bridge_store_commit_seconds"
        public static let resyncDuration = "presence_bridge_resync_duration_seconds"
    }

    /// Histogram buckets chosen for what each histogram measures, for backends that need them
    /// up front (`PrometheusMetricsFactory.durationHistogramBuckets`):
    ///
    /// - view latency, input received → its last view handed to the broker: a fraction of a
    ///   millisecond when the bridge keeps up, seconds when input outruns the broker;
    /// - store commit, one SQLite transaction per batch (WAL): tens of microseconds for a few
    ///   rows to a few hundred milliseconds for a resync slice's rows;
    /// - resync duration, start → last view handed to the broker: well under a second for a
    ///   small store, ~10 s for a restart at 100,000 × 50, minutes for a first start there.
    public static let histogramBuckets: [String: [Duration]] = [
        Name.viewLatency: [.microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
                           .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                           .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30)],
        Name.storeCommit: [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                           .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                           .milliseconds(100), .milliseconds(250), .seconds(1)],
        Name.resyncDuration: [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                              .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
                              .seconds(300), .seconds(600)],
    ]

    /// A counter fed from one of the statistics' numbers.
    private struct Fed: Sendable {
        let counter: Counter
        let value: @Sendable (BridgeStatistics, MQTTClientStatistics?) -> Int?
    }

    private let fed: [Fed]
    private let rejected: Mutex<[InputRejection.Code: Counter]>
    private let factory: any MetricsFactory
    private let users: Gauge
    private let internedIDs: Gauge
    private let devicesOnline: Gauge
    private let brokerConnected: Gauge
    private let live: Gauge
    private let outboxViews: Gauge
    private let inboxHighWater: Gauge
    private let inboxDepth: Gauge
    let viewLatency: Timer
    let storeCommit: Timer
    let resyncDuration: Timer
    /// What each counter showed at the last export, by name (and reason).
    private let exported = Mutex<[String: Int]>([:])

    /// Every series made with `factory`, the build info set, the known rejection reasons at 0.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        func counter(_ name: String, _ value: @escaping @Sendable (BridgeStatistics, MQTTClientStatistics?) -> Int?) -> Fed {
            Fed(counter: Counter(label: name, factory: factory), value: value)
        }
        fed = [
            counter(Name.messagesReceived) { s, _ in s.messagesIn },
            counter(Name.inputsApplied) { s, _ in s.inputsApplied },
            counter(Name.viewsPublished) { s, _ in s.viewsPublished },
            counter(Name.viewsCoalesced) { s, _ in s.viewsCoalesced },
            counter(Name.viewsDeleted) { s, _ in s.viewsDeleted },
            counter(Name.viewsRepaired) { s, _ in s.viewsRepaired },
            counter(Name.errorsPublished) { s, _ in s.errorsPublished },
            counter(Name.reconnects) { s, _ in s.reconnects },
            counter(Name.resyncs) { s, _ in s.resyncs },
            counter(Name.storeTransactions) { s, _ in s.storeTransactions },
            counter(Name.storeFailures) { s, _ in s.storeFailures },
            counter(Name.checkpoints) { s, _ in s.checkpointsPublished },
            counter(Name.publishesRefused) { _, t in t?.publishesRejected },
            counter(Name.inboxStalls) { _, t in t?.receiveStalls },
        ]
        rejected = Mutex(Dictionary(uniqueKeysWithValues: InputRejection.Code.known.map {
            ($0, Counter(label: Name.inputsRejected, dimensions: [("reason", $0.rawValue)], factory: factory))
        }))
        Gauge(label: Name.buildInfo, dimensions: [("version", BridgeVersion.current)], factory: factory).record(1)
        users = Gauge(label: Name.users, factory: factory)
        internedIDs = Gauge(label: Name.internedIDs, factory: factory)
        devicesOnline = Gauge(label: Name.devicesOnline, factory: factory)
        brokerConnected = Gauge(label: Name.brokerConnected, factory: factory)
        live = Gauge(label: Name.live, factory: factory)
        outboxViews = Gauge(label: Name.outboxViews, factory: factory)
        inboxHighWater = Gauge(label: Name.inboxHighWater, factory: factory)
        inboxDepth = Gauge(label: Name.inboxDepth, factory: factory)
        viewLatency = Timer(label: Name.viewLatency, factory: factory)
        storeCommit = Timer(label: Name.storeCommit, factory: factory)
        resyncDuration = Timer(label: Name.resyncDuration, factory: factory)
        for gauge in [users, internedIDs, devicesOnline, brokerConnected, live, outboxViews, inboxHighWater, inboxDepth] { gauge.record(0) }
    }

    /// Brings every counter up to `statistics` and `transport` (nil: no client yet) (adding what each grew by) and
    /// sets the gauges they hold. `statistics.users` and `devicesOnline` are as of the last
    /// `bridge/stats` refresh (counting them costs a pass over the users).
    func export(_ statistics: BridgeStatistics, transport: MQTTClientStatistics?) {
        var increments: [(Counter, Int)] = []
        exported.withLock { exported in
            // Only ever upwards: an export of an older snapshot (a scrape racing the writer)
            // adds nothing and forgets nothing.
            func grown(_ key: String, to value: Int) -> Int? {
                let previous = exported[key, default: 0]
                guard value > previous else { return nil }
                exported[key] = value
                return value - previous
            }
            for fed in fed {
                guard let value = fed.value(statistics, transport), let amount = grown(fed.counter.label, to: value) else { continue }
                increments.append((fed.counter, amount))
            }
            for (code, count) in statistics.rejected {
                guard let amount = grown(Name.inputsRejected + "/" + code.rawValue, to: count) else { continue }
                increments.append((rejectedCounter(code), amount))
            }
        }
        for (counter, amount) in increments { counter.increment(by: amount) }
        users.record(statistics.users)
        internedIDs.record(statistics.internedIDs)
        devicesOnline.record(statistics.devicesOnline)
        if let transport {
            inboxHighWater.record(transport.bufferHighWater)
            inboxDepth.record(transport.buffered)
        }
    }

    /// Sets the gauges of `Readiness`.
    func noteReadiness(_ state: Readiness.State) {
        brokerConnected.record(state.connected ? 1 : 0)
        live.record(state.isReady ? 1 : 0)
    }

    /// Sets the number of views decided and not yet handed to the broker.
    func noteOutboxViews(_ count: Int) {
        outboxViews.record(count)
    }

    /// The counter of one rejection reason (a code beyond the known ones gets its own series).
    private func rejectedCounter(_ code: InputRejection.Code) -> Counter {
        rejected.withLock { counters in
            if let counter = counters[code] { return counter }
            let counter = Counter(label: Name.inputsRejected, dimensions: [("reason", code.rawValue)], factory: factory)
            counters[code] = counter
            return counter
        }
    }
}


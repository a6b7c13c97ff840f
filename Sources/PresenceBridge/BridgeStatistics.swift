import PresenceCore
import PresenceWire

/// The counters published on `bridge/stats` (and readable by tests through the service).
public struct BridgeStatistics: Sendable, Equatable {
    public var messagesIn = 0
    public var inputsApplied = 0
    /// Of `inputsApplied`, retained settings and lists replayed byte for byte as last applied,
    /// and so skipped unparsed.
    public var retainedUnchanged = 0
    /// Views decided and queued, including those replaced in the outbox before they were sent.
    public var viewsPublished = 0
    /// Of `viewsPublished`, those replaced by a newer view of the same topic before going out.
    public var viewsCoalesced = 0
    public var viewsDeleted = 0
    public var errorsPublished = 0
    /// Rejected inputs by code (`InputRejection.Code`), the engine's own codes included.
    public var rejected: [InputRejection.Code: Int] = [:]
    public var storeTransactions = 0
    public var storeChanges = 0
    public var storeFailures = 0
    public var reconnects = 0
    public var resyncs = 0
    /// Resyncs that trusted the views record, fenced by the broker's checkpoint.
    public var resyncsFromCheckpoint = 0
    /// Resyncs that read every retained view back (no usable checkpoint).
    public var resyncsReadBack = 0
    /// Views a resync republished or deleted because the broker may lack them.
    public var viewsRepaired = 0
    public var checkpointsPublished = 0
    /// The latest batch whose views were recorded, and the latest checkpoint handed to the
    /// broker: equal when the broker holds every view the bridge decided.
    public var viewsSequence: Int64 = 0
    public var checkpointSequence: Int64 = 0
    public var tombstonesPruned = 0
    /// Participants (users that sent inputs of their own), and every id the engine holds
    /// (participants and users named in lists); ids nobody names any more are forgotten
    /// (`idsForgotten` so far).
    public var users = 0
    public var internedIDs = 0
    public var idsForgotten = 0
    public var devicesOnline = 0
    public var lastResyncMilliseconds: Int64 = 0
    /// Times the MQTT network thread found the writer's inbox full (`--receive-buffer`) and
    /// waited, and the most messages it ever held: the bound of the pipeline at work.
    public var inboxStalls = 0
    public var inboxHighWater = 0
    /// Publishes the broker answered with an error reason code.
    public var publishesRefused = 0
    /// Where the time of live batches went, per stage (`PipelineTimings`).
    var pipeline = PipelineTimings.Snapshot()

    public init() {}

    /// All rejected inputs, whatever the reason.
    public var rejectedTotal: Int { rejected.values.reduce(0, +) }

    /// `startedAt` by the wall clock; the uptime measured on the monotonic clock.
    func json(startedAt: Timestamp, uptimeMilliseconds: Int64) -> [UInt8] {
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.member("startedAt", startedAt.iso8601)
        json.key("uptimeSeconds"); json.number(uptimeMilliseconds / 1000)
        let counters: [(String, Int)] = [
            ("messagesIn", messagesIn), ("inputsApplied", inputsApplied), ("retainedUnchanged", retainedUnchanged),
            ("viewsPublished", viewsPublished), ("viewsCoalesced", viewsCoalesced), ("viewsDeleted", viewsDeleted),
            ("errorsPublished", errorsPublished), ("rejectedInputs", rejectedTotal),
            ("storeTransactions", storeTransactions), ("storeChanges", storeChanges),
            ("storeFailures", storeFailures), ("reconnects", reconnects), ("resyncs", resyncs),
            ("resyncsFromCheckpoint", resyncsFromCheckpoint), ("resyncsReadBack", resyncsReadBack),
            ("viewsRepaired", viewsRepaired), ("checkpointsPublished", checkpointsPublished),
            ("tombstonesPruned", tombstonesPruned),
            ("users", users), ("internedIds", internedIDs), ("idsForgotten", idsForgotten), ("devicesOnline", devicesOnline),
            ("inboxStalls", inboxStalls), ("inboxHighWater", inboxHighWater), ("publishesRefused", publishesRefused),
        ]
        for (name, value) in counters {
            json.key(name); json.number(Int64(value))
        }
        json.key("lastResyncMilliseconds"); json.number(lastResyncMilliseconds)
        json.key("viewsSequence"); json.number(viewsSequence)
        json.key("checkpointSequence"); json.number(checkpointSequence)
        json.key("pipelineMicroseconds")
        json.beginObject()
        for (name, histogram) in pipeline.stages {
            json.key(name)
            json.beginObject()
            json.key("count"); json.number(Int64(histogram.count))
            for (label, fraction) in [("p50", 0.5), ("p99", 0.99), ("p999", 0.999)] {
                json.key(label); json.number(histogram.quantileMicroseconds(fraction))
            }
            json.key("max"); json.number(histogram.maximumMicroseconds)
            json.endObject()
        }
        json.endObject()
        json.key("rejected")
        json.beginObject()
        // Every known code, 0 included, then any other code counted (sorted, for a stable shape).
        let others = rejected.keys.filter { !InputRejection.Code.known.contains($0) }.sorted { $0.rawValue < $1.rawValue }
        for code in InputRejection.Code.known + others {
            json.key(code.rawValue); json.number(Int64(rejected[code, default: 0]))
        }
        json.endObject()
        json.endObject()
        return json.bytes
    }
}

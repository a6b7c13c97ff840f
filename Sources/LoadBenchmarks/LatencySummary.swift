import Histogram

/// Percentiles of one latency distribution, in microseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    /// How many values were recorded.
    public var count: Int
    /// Median, microseconds.
    public var p50: Int
    /// 99th percentile, microseconds.
    public var p99: Int
    /// 99.9th percentile, microseconds.
    public var p999: Int
    /// Largest value, microseconds.
    public var max: Int

    /// The summary of `histogram` (zeros when it is empty).
    init(_ histogram: Histogram<UInt64>) {
        count = Int(histogram.totalCount)
        guard count > 0 else {
            p50 = 0; p99 = 0; p999 = 0; max = 0
            return
        }
        p50 = Int(histogram.valueAtPercentile(50))
        p99 = Int(histogram.valueAtPercentile(99))
        p999 = Int(histogram.valueAtPercentile(99.9))
        max = Int(histogram.max)
    }

    /// A fresh histogram for microsecond latencies up to ten minutes, three significant digits.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    /// `p50/p99/p99.9/max` in milliseconds with two decimals.
    var text: String {
        func ms(_ value: Int) -> String { String(format: "%.2f", Double(value) / 1000) }
        return "\(ms(p50))/\(ms(p99))/\(ms(p999))/\(ms(max))"
    }
}

/// Durations counted in logarithmic buckets, four to an octave (each about 19 % wide), from
/// 1 µs to about 2 minutes: percentiles to within a bucket, in constant memory and time.
struct DurationHistogram: Sendable, Equatable {
    private static let bucketsPerOctave = 4.0
    private static let bucketCount = 108

    private var counts = [Int](repeating: 0, count: bucketCount)
    private(set) var count = 0
    private(set) var sumMicroseconds: Int64 = 0
    private(set) var maximumMicroseconds: Int64 = 0

    mutating func record(_ duration: Duration) {
        let components = duration.components
        let microseconds = max(components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000, 0)
        record(microseconds: microseconds)
    }

    mutating func record(microseconds: Int64) {
        let index = microseconds <= 1 ? 0
            : min(Int((Self.bucketsPerOctave * log2(Double(microseconds))).rounded(.up)), Self.bucketCount - 1)
        counts[index] += 1
        count += 1
        sumMicroseconds += microseconds
        maximumMicroseconds = max(maximumMicroseconds, microseconds)
    }

    /// The upper bound of the bucket that holds the `fraction` quantile (0.99 = p99), in
    /// microseconds; 0 when empty.
    func quantileMicroseconds(_ fraction: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = max(Int((fraction * Double(count)).rounded(.up)), 1)
        var seen = 0
        for (index, bucketCount) in counts.enumerated() {
            seen += bucketCount
            if seen >= rank {
                return min(Int64(pow2(Double(index) / Self.bucketsPerOctave).rounded(.up)), maximumMicroseconds)
            }
        }
        return maximumMicroseconds
    }

    private func log2(_ value: Double) -> Double { Foundation.log2(value) }
    private func pow2(_ value: Double) -> Double { Foundation.pow(2, value) }
}

import Foundation

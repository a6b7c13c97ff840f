/// Helpers for sorted arrays of interned user indices.
enum SortedIndices {
    /// True when sorted `list` contains `value` (binary search).
    @inline(__always)
    static func contains(_ list: [Int32], _ value: Int32) -> Bool {
        list.withUnsafeBufferPointer { buffer in
            var low = 0
            var high = buffer.count
            while low < high {
                let middle = (low + high) >> 1
                let element = buffer[middle]
                if element == value { return true }
                if element < value { low = middle + 1 } else { high = middle }
            }
            return false
        }
    }

    /// `list` sorted with duplicates removed.
    static func normalised(_ list: [Int32]) -> [Int32] {
        var sorted = list
        sorted.sort()
        var write = 0
        for read in sorted.indices where read == 0 || sorted[read] != sorted[write - 1] {
            sorted[write] = sorted[read]
            write += 1
        }
        sorted.removeLast(sorted.count - write)
        return sorted
    }

    /// The sorted union of two sorted lists.
    static func union(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        if b.isEmpty { return a }
        if a.isEmpty { return b }
        var result: [Int32] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                result.append(a[i]); i += 1
            } else if i == a.count || b[j] < a[i] {
                result.append(b[j]); j += 1
            } else {
                result.append(a[i]); i += 1; j += 1
            }
        }
        return result
    }

    /// Walks two sorted lists: `removed` for values only in `old`, `added` for values only in `new`.
    static func difference(
        from old: [Int32],
        to new: [Int32],
        removed: (Int32) -> Void,
        added: (Int32) -> Void
    ) {
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i] < new[j]) {
                removed(old[i]); i += 1
            } else if i == old.count || new[j] < old[i] {
                added(new[j]); j += 1
            } else {
                i += 1; j += 1
            }
        }
    }
}

/// A stable 64-bit digest of a view's payload (FNV-1a), to compare views without keeping them:
/// equal views encode to equal bytes (`ViewEncoder`), so equal digests mean equal views.
///
/// The same in every process and on every machine, because the store keeps it across restarts
/// (Swift's `Hasher` is seeded per process). A collision between two different views of one
/// topic (about 2⁻⁶⁴ per comparison) would leave one view unrepublished after a restart.
enum ViewDigest {
    /// The digest of "no view" (an empty retained payload: deleted or never published).
    static let deleted: UInt64 = 0
    /// "Not known": what a viewer holds before its views were reconciled. No payload has it.
    static let unknown: UInt64 = .max

    static func of(_ payload: [UInt8]) -> UInt64 {
        guard !payload.isEmpty else { return deleted }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        payload.withUnsafeBufferPointer { bytes in
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        return hash == deleted || hash == unknown ? 1 : hash
    }
}

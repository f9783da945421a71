/// The distinct terms of a batch being prepared, in key order.
struct BatchTerms {
    /// Slot → term, in byte order: writing postings in slot order writes them in key order,
    /// so neighbouring writes touch neighbouring pages.
    let terms: [String]
    /// Vocabulary id → slot (-1 for ids the batch does not use).
    private let slotOfID: [Int32]

    /// Collects the terms `chunks` use; `vocabulary` maps their ids to terms.
    init(chunks: [ChunkAnalysis], vocabulary: [String]) {
        var slotOfID = [Int32](repeating: -1, count: vocabulary.count)
        var used: [Int32] = []
        for chunk in chunks {
            for (id, _) in chunk.terms where slotOfID[Int(id)] < 0 {
                slotOfID[Int(id)] = 0
                used.append(id)
            }
        }
        // The first eight bytes as one integer settle most of the order: sort plain integers
        // (those bytes above the id), then order the runs that share them by their full bytes.
        var keyed = used.map { id in UInt128(Self.leadingBytes(of: vocabulary[Int(id)])) << 32 | UInt128(UInt32(id)) }
        keyed.sort()
        var runStart = 0
        for index in 1..<(keyed.count + 1) where index == keyed.count || keyed[index] >> 32 != keyed[runStart] >> 32 {
            if index - runStart > 1 {
                keyed[runStart..<index].sort { lhs, rhs in
                    vocabulary[Int(UInt32(truncatingIfNeeded: lhs))].utf8
                        .lexicographicallyPrecedes(vocabulary[Int(UInt32(truncatingIfNeeded: rhs))].utf8)
                }
            }
            runStart = index
        }
        var terms: [String] = []
        terms.reserveCapacity(keyed.count)
        for (slot, key) in keyed.enumerated() {
            let id = Int(UInt32(truncatingIfNeeded: key))
            slotOfID[id] = Int32(slot)
            terms.append(vocabulary[id])
        }
        self.terms = terms
        self.slotOfID = slotOfID
    }

    /// The slot of a vocabulary id the batch uses.
    @inline(__always)
    func slot(of id: Int32) -> Int32 {
        slotOfID[Int(id)]
    }

    /// The first eight UTF-8 bytes of `term`, zero-padded, as a big-endian integer: its order
    /// is the byte order of the terms, up to ties.
    private static func leadingBytes(of term: String) -> UInt64 {
        var term = term
        return term.withUTF8 { bytes in
            var prefix: UInt64 = 0
            for index in 0..<min(8, bytes.count) {
                prefix |= UInt64(bytes[index]) << UInt64(56 - 8 * index)
            }
            return prefix
        }
    }
}

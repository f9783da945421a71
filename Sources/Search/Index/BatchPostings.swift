/// A prepared batch's postings grouped by term before chunk ids exist: ``SearchIndex/apply``
/// only has to put each chunk's id in front of bits computed here and hand every term's list
/// to LMDB in one bulk write.
struct BatchPostings: Sendable {
    /// The distinct terms of the batch in key order; a posting's slot indexes this.
    let terms: [String]
    /// Where each term's run starts in ``filled(firstChunkID:)``; the last entry is the total.
    let starts: [Int]
    /// Per posting, in chunk order: the slot of its term and its ``PostingEntry`` payload.
    private let slots: [Int32]
    private let bits: [UInt32]
    /// Per chunk, in batch order: the end of its postings in `slots` and `bits`.
    private let chunkEnds: [Int]

    /// Groups the postings of `chunks`, whose terms `batch` collected.
    init(chunks: [ChunkAnalysis], batch: BatchTerms) {
        var counts = [Int](repeating: 0, count: batch.terms.count + 1)
        let total = chunks.reduce(0) { $0 + $1.terms.count }
        var slots: [Int32] = []
        var bits: [UInt32] = []
        var chunkEnds: [Int] = []
        slots.reserveCapacity(total)
        bits.reserveCapacity(total)
        chunkEnds.reserveCapacity(chunks.count)
        for chunk in chunks {
            let lengthCode = LengthCode.encode(chunk.bodyLength)
            for (id, frequencies) in chunk.terms {
                let slot = batch.slot(of: id)
                slots.append(slot)
                bits.append(PostingEntry.payload(lengthCode: lengthCode, frequencies: frequencies))
                counts[Int(slot) + 1] += 1
            }
            chunkEnds.append(slots.count)
        }
        for slot in batch.terms.indices { counts[slot + 1] += counts[slot] }

        terms = batch.terms
        starts = counts
        self.slots = slots
        self.bits = bits
        self.chunkEnds = chunkEnds
    }

    /// Postings in the batch.
    var count: Int { slots.count }

    /// Every posting as its stored big-endian 8 bytes, grouped by slot (the run of slot `s` is
    /// `starts[s]..<starts[s + 1]`), with the batch's chunks numbered from `firstChunkID`.
    /// Within a run ids ascend, as the duplicate table keeps them.
    func filled(firstChunkID: UInt64) -> [UInt64] {
        var next = starts
        return [UInt64](unsafeUninitializedCapacity: slots.count) { values, initialized in
            var posting = 0
            for (chunk, end) in chunkEnds.enumerated() {
                let chunkID = firstChunkID + UInt64(chunk)
                while posting < end {
                    let slot = Int(slots[posting])
                    values[next[slot]] = PostingEntry(chunkID: chunkID, payload: bits[posting]).raw.bigEndian
                    next[slot] += 1
                    posting += 1
                }
            }
            initialized = slots.count
        }
    }
}

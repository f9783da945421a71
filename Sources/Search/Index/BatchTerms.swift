/// The distinct terms of a batch being prepared, in key order, each with its ``ChunkTerms``
/// encoding ready to copy: every chunk's term list is then a run of `memcpy`s.
struct BatchTerms {
    /// Slot → term, in byte order: writing postings in slot order writes them in key order,
    /// so neighbouring writes touch neighbouring pages.
    let terms: [String]
    /// Vocabulary id → slot (-1 for ids the batch does not use).
    private let slotOfID: [Int32]
    /// Per slot: the term's length byte and UTF-8 bytes, as ``ChunkTerms`` stores them.
    private let encoded: [UInt8]
    /// Where each slot's encoding starts in `encoded`; the last entry is the total.
    private let encodedStarts: [Int]

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
        // Most comparisons are settled by the first eight bytes as one integer.
        var keyed = used.map { id in (prefix: Self.leadingBytes(of: vocabulary[Int(id)]), id: id) }
        keyed.sort { $0.prefix != $1.prefix ? $0.prefix < $1.prefix : vocabulary[Int($0.id)] < vocabulary[Int($1.id)] }

        var encoded: [UInt8] = []
        var encodedStarts: [Int] = []
        encodedStarts.reserveCapacity(keyed.count + 1)
        for (slot, entry) in keyed.enumerated() {
            slotOfID[Int(entry.id)] = Int32(slot)
            encodedStarts.append(encoded.count)
            var term = vocabulary[Int(entry.id)]
            term.withUTF8 { bytes in
                encoded.append(UInt8(truncatingIfNeeded: bytes.count))
                encoded.append(contentsOf: bytes)
            }
        }
        encodedStarts.append(encoded.count)
        terms = keyed.map { vocabulary[Int($0.id)] }
        self.slotOfID = slotOfID
        self.encoded = encoded
        self.encodedStarts = encodedStarts
    }

    /// The slot of a vocabulary id the batch uses.
    @inline(__always)
    func slot(of id: Int32) -> Int32 {
        slotOfID[Int(id)]
    }

    /// The chunk's ``ChunkTerms`` record, built by copying each term's encoding.
    func chunkTermsRecord(lengthCode: UInt8, terms chunkTerms: [(id: Int32, frequencies: UInt16)]) -> [UInt8] {
        var size = 1
        for (id, _) in chunkTerms {
            let slot = Int(slotOfID[Int(id)])
            size += encodedStarts[slot + 1] - encodedStarts[slot] + 2
        }
        return [UInt8](unsafeUninitializedCapacity: size) { record, initialized in
            record[0] = lengthCode
            var offset = 1
            encoded.withUnsafeBufferPointer { encoded in
                for (id, frequencies) in chunkTerms {
                    let slot = Int(slotOfID[Int(id)])
                    let start = encodedStarts[slot]
                    let length = encodedStarts[slot + 1] - start
                    UnsafeMutableRawPointer(record.baseAddress! + offset)
                        .copyMemory(from: encoded.baseAddress! + start, byteCount: length)
                    offset += length
                    record[offset] = UInt8(truncatingIfNeeded: frequencies >> 8)
                    record[offset + 1] = UInt8(truncatingIfNeeded: frequencies)
                    offset += 2
                }
            }
            initialized = size
        }
    }

    /// The first eight UTF-8 bytes of `term`, zero-padded, as a big-endian integer: its order
    /// is the byte order of the terms, up to ties.
    private static func leadingBytes(of term: String) -> UInt64 {
        var prefix: UInt64 = 0
        var shift = 56
        for byte in term.utf8.prefix(8) {
            prefix |= UInt64(byte) << UInt64(shift)
            shift -= 8
        }
        return prefix
    }
}

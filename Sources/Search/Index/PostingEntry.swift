/// One posting, packed into the 8-byte value of the DUPSORT|DUPFIXED postings table.
///
/// ```
/// bits 63…24  chunk id (40 bits: 1.1 × 10^12 chunks per datastore)
/// bits 23…16  body length code (see ``LengthCode``)
/// bits 15…14  term frequency in the page title     (0…3, saturating)
/// bits 13…11  term frequency in the heading path   (0…7, saturating)
/// bits 10…0   term frequency in the chunk body     (0…2047, saturating)
/// ```
/// Stored big-endian, so LMDB's duplicate order is chunk-id order and a term's postings can be
/// merged with other terms' in one pass. Everything BM25F needs per (term, chunk) is in the
/// value itself: ranking reads no other record until the top results are known. A value is
/// never changed in place (LMDB 0.9.24's DUPSORT caveat): a changed chunk gets a new id.
struct PostingEntry: Equatable {
    static let maxChunkID: UInt64 = (1 << 40) - 1

    var raw: UInt64

    init(raw: UInt64) {
        self.raw = raw
    }

    init(chunkID: UInt64, lengthCode: UInt8, frequencies: FieldFrequencies) {
        self.init(chunkID: chunkID, payload: Self.payload(lengthCode: lengthCode, frequencies: frequencies.packed))
    }

    /// `payload` is the 24 bits below the chunk id, from ``payload(lengthCode:frequencies:)``.
    init(chunkID: UInt64, payload: UInt32) {
        raw = chunkID << 24 | UInt64(payload & 0xFF_FFFF)
    }

    /// Everything but the chunk id, known before the chunk has one; `frequencies` is packed
    /// (``FieldFrequencies/packed``).
    static func payload(lengthCode: UInt8, frequencies: UInt16) -> UInt32 {
        UInt32(lengthCode) << 16 | UInt32(frequencies)
    }

    var chunkID: UInt64 { raw >> 24 }
    var lengthCode: UInt8 { UInt8(truncatingIfNeeded: raw >> 16) }
    var frequencies: FieldFrequencies { FieldFrequencies(packed: UInt16(truncatingIfNeeded: raw)) }
}

/// How often a term occurs in each field of one chunk, saturating at what the posting holds.
struct FieldFrequencies: Equatable {
    var title: Int
    var heading: Int
    var body: Int

    init(title: Int = 0, heading: Int = 0, body: Int = 0) {
        self.title = title
        self.heading = heading
        self.body = body
    }

    init(packed: UInt16) {
        title = Int(packed >> 14)
        heading = Int(packed >> 11 & 0x7)
        body = Int(packed & 0x7FF)
    }

    var isZero: Bool { title == 0 && heading == 0 && body == 0 }

    var packed: UInt16 {
        UInt16(min(title, 3)) << 14 | UInt16(min(heading, 7)) << 11 | UInt16(min(body, 2047))
    }
}

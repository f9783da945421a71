import Storage

/// The exact postings one chunk added, kept so that removing the chunk deletes precisely those
/// postings (a DUPSORT delete needs the full value) and nothing is left behind.
///
/// Layout: length code (1 byte), then per distinct term: term length (1 byte), term bytes,
/// packed field frequencies (2 bytes). About 5 + term bytes per distinct term.
struct ChunkTerms: StorageRecord, Equatable {
    var lengthCode: UInt8
    var terms: [(term: String, frequencies: UInt16)]

    init(lengthCode: UInt8, terms: [(term: String, frequencies: UInt16)]) {
        self.lengthCode = lengthCode
        self.terms = terms
    }

    /// The indexing path builds records with ``BatchTerms/chunkTermsRecord(lengthCode:terms:)``.
    func encode(to writer: inout ByteWriter) {
        writer.append(lengthCode)
        for (term, frequencies) in terms {
            writer.append(UInt8(truncatingIfNeeded: term.utf8.count))
            writer.appendUTF8(term)
            writer.append(frequencies)
        }
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        lengthCode = try reader.read()
        terms = []
        while reader.remainingCount > 0 {
            let count = Int(try reader.read(UInt8.self))
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            for _ in 0..<count { bytes.append(try reader.read(UInt8.self)) }
            terms.append((String(decoding: bytes, as: UTF8.self), try reader.read(UInt16.self)))
        }
    }

    /// The posting value each term holds for `chunkID`.
    func postings(chunkID: UInt64) -> [(term: String, entry: PostingEntry)] {
        terms.map { term, packed in
            (term, PostingEntry(chunkID: chunkID, lengthCode: lengthCode, frequencies: FieldFrequencies(packed: packed)))
        }
    }

    static func == (lhs: ChunkTerms, rhs: ChunkTerms) -> Bool {
        lhs.lengthCode == rhs.lengthCode && lhs.terms.elementsEqual(rhs.terms) { $0 == $1 }
    }
}

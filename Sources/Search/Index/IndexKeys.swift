import Storage

/// Key of the postings table: the datastore, the chunk-id generation of the postings (u32
/// BE, see ``PostingGeneration``), then the term's UTF-8 bytes to the end.
///
/// Generation before term keeps writes local: a batch only ever adds postings under the
/// newest generation, a region of the tree no larger than one generation's postings, so a
/// commit touches (copies, writes, syncs) about the same number of B-tree pages at 100,000
/// pages as at 1,000. With the term first, every commit touched a leaf of almost every term
/// in the index, and that grew with it.
struct TermKey: StorageRecord, Equatable {
    var datastore: UInt64
    var generation: UInt32
    var term: String

    /// Encodes on the stack: this key is built once per posting written or read.
    func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var term = term
        return try term.withUTF8 { utf8 in
            try withUnsafeTemporaryAllocation(byteCount: 12 + utf8.count, alignment: 8) { buffer in
                buffer.storeBytes(of: datastore.bigEndian, toByteOffset: 0, as: UInt64.self)
                buffer.storeBytes(of: generation.bigEndian, toByteOffset: 8, as: UInt32.self)
                if let base = utf8.baseAddress {
                    (buffer.baseAddress! + 12).copyMemory(from: base, byteCount: utf8.count)
                }
                return try body(UnsafeRawBufferPointer(buffer))
            }
        }
    }

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.append(generation)
        writer.appendRemainder(term.utf8)
    }

    init(datastore: UInt64, generation: UInt32, term: String) {
        self.datastore = datastore
        self.generation = generation
        self.term = term
    }

    /// The key of the posting `raw` (a ``PostingEntry``) of `term`.
    init(datastore: UInt64, term: String, posting raw: UInt64) {
        self.init(datastore: datastore, generation: PostingGeneration.of(chunkID: PostingEntry(raw: raw).chunkID), term: term)
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        generation = try reader.read()
        term = reader.readRemainderString()
    }
}

/// Chunk ids cut into generations of 2^13 (about 2,000 pages of 4 chunks): the postings of
/// a generation's chunks sit under its own keys (see ``TermKey``). A term's postings are
/// its lists in generation order, each ascending, so reading them in that order gives chunk-id
/// order. The size trades writes against reads: a commit rewrites about the leaves of the
/// newest generation (a few MB at this size; 24 MB at 2^15), and a query term costs one
/// lookup per generation (about 50 at 100,000 pages, mostly misses near the cursor).
enum PostingGeneration {
    static let chunkBits: UInt64 = 13

    /// The generation of a chunk id.
    @inline(__always)
    static func of(chunkID: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: chunkID >> chunkBits)
    }

    /// The first chunk id of `generation`.
    static func firstChunkID(of generation: UInt32) -> UInt64 {
        UInt64(generation) << chunkBits
    }

    /// Every generation that may hold postings when ids below `nextChunkID` were handed out.
    static func all(below nextChunkID: UInt64) -> Range<UInt32> {
        nextChunkID <= 1 ? 0..<0 : 0..<(of(chunkID: nextChunkID - 1) + 1)
    }
}

/// Key of the chunks table.
struct ChunkKey: StorageRecord, Equatable {
    var datastore: UInt64
    var chunkID: UInt64

    func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: (datastore.bigEndian, chunkID.bigEndian), body)
    }

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.append(chunkID)
    }

    init(datastore: UInt64, chunkID: UInt64) {
        self.datastore = datastore
        self.chunkID = chunkID
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        chunkID = try reader.read()
    }
}

/// Key of a chunk record's second and later pieces: the chunk's key and the piece number, so
/// the pieces sort right after the head (see ``ChunkPieces``).
struct ChunkPieceKey: StorageRecord, Equatable {
    var chunk: ChunkKey
    var piece: UInt8

    init(_ chunk: ChunkKey, piece: UInt8) {
        self.chunk = chunk
        self.piece = piece
    }

    func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: (chunk.datastore.bigEndian, chunk.chunkID.bigEndian, piece)) { bytes in
            try body(UnsafeRawBufferPointer(rebasing: bytes[0..<17]))
        }
    }

    func encode(to writer: inout ByteWriter) {
        chunk.encode(to: &writer)
        writer.append(piece)
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        chunk = try ChunkKey(from: &reader)
        piece = try reader.read()
    }
}

/// Key of the pages table: the datastore, then the page id's UTF-8 bytes to the end.
struct PageKey: StorageRecord, Equatable {
    /// Page ids are key material; LMDB's limit is 511 bytes in all.
    static let maxPageIDBytes = 400

    var datastore: UInt64
    var pageID: String

    func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try prefixedKey(datastore, pageID, body)
    }

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.appendRemainder(pageID.utf8)
    }

    init(datastore: UInt64, pageID: String) {
        self.datastore = datastore
        self.pageID = pageID
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        pageID = reader.readRemainderString()
    }
}

/// Key of a page's stored text (``PageText``), cut into pieces like chunks (see
/// ``ChunkPieces``): the datastore, the page id's byte count (u16) and bytes, then the piece
/// number (0 for the head). The count keeps one page's pieces together and apart from every
/// other page id, whatever bytes the ids hold.
struct DocumentKey: StorageRecord, Equatable {
    var datastore: UInt64
    var pageID: String
    var piece: UInt8

    init(datastore: UInt64, pageID: String, piece: UInt8 = 0) {
        self.datastore = datastore
        self.pageID = pageID
        self.piece = piece
    }

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.append(UInt16(truncatingIfNeeded: pageID.utf8.count))
        writer.appendUTF8(pageID)
        writer.append(piece)
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        let count = Int(try reader.read(UInt16.self))
        let bytes = try (0..<count).map { _ throws(StorageError) in try reader.read(UInt8.self) }
        pageID = String(decoding: bytes, as: UTF8.self)
        piece = try reader.read()
    }
}

/// The 8 key bytes every record of a datastore starts with, for prefix scans and deletes.
func datastorePrefix(_ datastore: UInt64) -> [UInt8] {
    withUnsafeBytes(of: datastore.bigEndian) { Array($0) }
}

/// The bytes of a datastore id followed by a string, built in a stack buffer.
@inline(__always)
private func prefixedKey<R>(_ datastore: UInt64, _ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    var text = text
    return try text.withUTF8 { utf8 in
        try withUnsafeTemporaryAllocation(byteCount: 8 + utf8.count, alignment: 8) { buffer in
            buffer.storeBytes(of: datastore.bigEndian, toByteOffset: 0, as: UInt64.self)
            if let base = utf8.baseAddress {
                (buffer.baseAddress! + 8).copyMemory(from: base, byteCount: utf8.count)
            }
            return try body(UnsafeRawBufferPointer(buffer))
        }
    }
}

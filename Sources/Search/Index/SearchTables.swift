import Storage

/// The five LMDB tables of the index. Every key starts with the 8-byte big-endian datastore
/// id, so datastores share the tables without seeing each other and one prefix delete drops a
/// datastore.
///
/// | table | key | value |
/// |---|---|---|
/// | `search.chunks` | datastore, chunk id (u64 BE) [, piece number (u8)] | ``StoredChunk``, in pieces of at most 1,000 bytes (see ``ChunkPieces``): page id, ordinal, title, heading path, anchor, url hint, field lengths, text |
/// | `search.postings` (DUPSORT, DUPFIXED) | datastore, chunk-id generation (u32 BE, ``PostingGeneration``), term bytes | 8-byte ``PostingEntry`` per chunk: id, length code, field tfs |
/// | `search.pages` (DUPSORT, DUPFIXED) | datastore, page id bytes | 8-byte chunk ids of the page |
/// | `search.documents` | datastore, page id byte count (u16 BE), page id, piece number (u8) | the page's ``PageText`` (whole Markdown and outline), in pieces like a chunk's |
/// | `search.stats` | datastore | ``IndexStatistics``: chunk-id counter, chunk and page counts, field length sums, layout and analysis (``IndexFormat``) |
///
/// A chunk's postings are not stored with it: removal derives them from its text again.
struct SearchTables: Sendable {
    static let chunksName = "search.chunks"
    static let postingsName = "search.postings"
    static let pagesName = "search.pages"
    static let statsName = "search.stats"
    static let documentsName = "search.documents"

    /// The chunks table through its two kinds of keys (see ``ChunkPieces``).
    let chunkHeads: Table<ChunkKey, [UInt8]>
    let chunkPieces: Table<ChunkPieceKey, [UInt8]>
    let postings: Table<TermKey, UInt64>
    let pages: Table<PageKey, UInt64>
    let stats: Table<UInt64, IndexStatistics>
    /// Pieces of each page's ``PageText``; the head (piece 0) starts with the piece count.
    let documents: Table<DocumentKey, [UInt8]>

    /// Opens (creating if needed) the tables; must run outside any transaction.
    init(store: Store) throws(StorageError) {
        chunkHeads = try store.openTable(Self.chunksName)
        chunkPieces = try store.openTable(Self.chunksName)
        postings = try store.openTable(Self.postingsName, options: [.duplicateSort, .duplicateFixed])
        pages = try store.openTable(Self.pagesName, options: [.duplicateSort, .duplicateFixed])
        stats = try store.openTable(Self.statsName)
        documents = try store.openTable(Self.documentsName)
    }
}

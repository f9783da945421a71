import Storage

/// The five LMDB tables of the index. Every key starts with the 8-byte big-endian datastore
/// id, so datastores share the tables without seeing each other and one prefix delete drops a
/// datastore.
///
/// | table | key | value |
/// |---|---|---|
/// | `search.chunks` | datastore, chunk id (u64 BE) [, piece number (u8)] | ``StoredChunk``, in pieces of at most 1,000 bytes (see ``ChunkPieces``): page id, ordinal, title, heading path, anchor, url hint, field lengths, text |
/// | `search.chunk-terms` | datastore, chunk id | ``ChunkTerms``: length code + (term, packed field tfs) per distinct term |
/// | `search.postings` (DUPSORT, DUPFIXED) | datastore, term bytes | 8-byte ``PostingEntry`` per chunk: id, length code, field tfs |
/// | `search.pages` (DUPSORT, DUPFIXED) | datastore, page id bytes | 8-byte chunk ids of the page |
/// | `search.stats` | datastore | ``IndexStatistics``: chunk-id counter, chunk and page counts, field length sums |
struct SearchTables: Sendable {
    static let chunksName = "search.chunks"
    static let chunkTermsName = "search.chunk-terms"
    static let postingsName = "search.postings"
    static let pagesName = "search.pages"
    static let statsName = "search.stats"

    /// The chunks table through its two kinds of keys (see ``ChunkPieces``).
    let chunkHeads: Table<ChunkKey, [UInt8]>
    let chunkPieces: Table<ChunkPieceKey, [UInt8]>
    let chunkTerms: Table<ChunkKey, ChunkTerms>
    /// The chunk-terms table again, for records ``SearchIndex/prepare(_:tokenizer:)`` encoded.
    let chunkTermRecords: Table<ChunkKey, [UInt8]>
    let postings: Table<TermKey, UInt64>
    let pages: Table<PageKey, UInt64>
    let stats: Table<UInt64, IndexStatistics>

    /// Opens (creating if needed) the tables; must run outside any transaction.
    init(store: Store) throws(StorageError) {
        chunkHeads = try store.openTable(Self.chunksName)
        chunkPieces = try store.openTable(Self.chunksName)
        chunkTerms = try store.openTable(Self.chunkTermsName)
        chunkTermRecords = try store.openTable(Self.chunkTermsName)
        postings = try store.openTable(Self.postingsName, options: [.duplicateSort, .duplicateFixed])
        pages = try store.openTable(Self.pagesName, options: [.duplicateSort, .duplicateFixed])
        stats = try store.openTable(Self.statsName)
    }
}

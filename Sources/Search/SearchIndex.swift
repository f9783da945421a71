import Storage

/// The full-text index of every datastore, kept in the daemon's LMDB ``Store``.
///
/// Writes happen inside the caller's ``WriteTransaction`` so that a processed batch (chunks,
/// postings, page manifest, credits) commits atomically; reads take a ``ReadTransaction`` or
/// open their own. The value is a set of table handles: cheap to copy and `Sendable`.
/// Tokenizers are not: pass one owned by the calling task, or let each call make its own.
public struct SearchIndex: Sendable {
    /// The store the tables live in.
    public let store: Store
    let tables: SearchTables
    /// Chunk embeddings for hybrid search (see ``VectorTables``).
    let vectorTables: VectorTables

    /// Names of the tables the index uses (for operators and backups).
    public static let tableNames = [
        SearchTables.chunksName, SearchTables.postingsName, SearchTables.pagesName, SearchTables.statsName,
        SearchTables.documentsName, VectorTables.vectorsName, VectorTables.stateName,
    ]

    /// Opens (creating if needed) the index tables. Call it outside any transaction.
    public init(store: Store) throws(SearchError) {
        self.store = store
        do {
            tables = try SearchTables(store: store)
            vectorTables = try VectorTables(store: store)
        } catch {
            throw .storage(error)
        }
    }

    /// The counters of one datastore (zeros when it has nothing indexed).
    public func statistics(datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> IndexStatistics {
        try storageCall { try transaction.get(tables.stats, datastore) } ?? IndexStatistics()
    }

    /// Whether the datastore holds chunks written with another index layout or text analysis
    /// (an upgrade of Tributary or of libstemmer): this build cannot replace or remove them, so
    /// the datastore must be emptied with ``removeDatastore(_:in:)`` and indexed again.
    public func needsRebuild(datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> Bool {
        let stats = try statistics(datastore: datastore, in: transaction)
        return stats.chunkCount > 0 && !stats.isCurrentFormat
    }

    /// The chunk ids currently indexed for a page, in id order.
    public func chunkIDs(pageID: String, datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> [UInt64] {
        var ids: [UInt64] = []
        try storageCall {
            try transaction.forEachValue(in: tables.pages, forKey: PageKey(datastore: datastore, pageID: pageID)) { id in
                ids.append(id)
                return .continue
            }
        }
        return ids
    }

    /// One stored chunk, or nil.
    public func chunk(_ chunkID: UInt64, datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> StoredChunk? {
        try readChunk(ChunkKey(datastore: datastore, chunkID: chunkID), in: transaction)
    }
}

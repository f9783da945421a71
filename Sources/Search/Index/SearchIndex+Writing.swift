import Content
import Storage

/// A page as the index needs it besides its chunks.
public struct IndexedPage: Sendable, Equatable {
    /// The Confluence page id; at most 400 UTF-8 bytes.
    public var pageID: String
    /// The page title: indexed as its own, heavier field and shown with results.
    public var title: String
    /// Where the page can be opened (its web URL), stored with each chunk for citations.
    public var urlHint: String

    public init(pageID: String, title: String, urlHint: String = "") {
        self.pageID = pageID
        self.title = title
        self.urlHint = urlHint
    }
}

/// What a write changed.
public struct PageIndexChange: Sendable, Equatable {
    /// Chunks of the previous version that were removed.
    public var removedChunks: Int
    /// Chunks added.
    public var addedChunks: Int
}

extension SearchIndex {
    /// Indexes `chunks` as the new content of `page`, replacing whatever the page had, inside
    /// the caller's transaction. Chunk ids are fresh; postings of the old version are deleted
    /// exactly (never rewritten in place).
    @discardableResult
    public func replacePage(
        _ page: IndexedPage,
        chunks: [Chunk],
        datastore: UInt64,
        in transaction: WriteTransaction,
        tokenizer: Tokenizer
    ) throws(SearchError) -> PageIndexChange {
        guard page.pageID.utf8.count <= PageKey.maxPageIDBytes else {
            throw .pageIDTooLong(pageID: page.pageID, limit: PageKey.maxPageIDBytes)
        }
        var stats = try statistics(datastore: datastore, in: transaction)
        let removed = try removeChunks(of: page.pageID, datastore: datastore, stats: &stats, in: transaction)
        guard !chunks.isEmpty else {
            try saveStatistics(stats, datastore: datastore, in: transaction)
            return PageIndexChange(removedChunks: removed, addedChunks: 0)
        }
        guard stats.nextChunkID + UInt64(chunks.count) <= PostingEntry.maxChunkID else {
            throw .chunkIDsExhausted(datastore: datastore)
        }
        let title = ChunkAnalysis.TitleTerms(title: page.title, tokenizer: tokenizer)
        let pageKey = PageKey(datastore: datastore, pageID: page.pageID)
        for chunk in chunks {
            let chunkID = stats.nextChunkID
            stats.nextChunkID += 1
            let analysis = ChunkAnalysis(chunk: chunk, title: title, tokenizer: tokenizer)
            try addChunk(chunk, id: chunkID, page: page, analysis: analysis, datastore: datastore, in: transaction)
            try storageCall { try transaction.put(tables.pages, pageKey, chunkID) }
            stats.chunkCount += 1
            stats.totalTitleLength += analysis.titleLength
            stats.totalHeadingLength += analysis.headingLength
            stats.totalBodyLength += analysis.bodyLength
        }
        stats.pageCount += 1
        try saveStatistics(stats, datastore: datastore, in: transaction)
        return PageIndexChange(removedChunks: removed, addedChunks: chunks.count)
    }

    /// Removes a page's chunks, postings and counts. Returns how many chunks went (0 if the
    /// page was not indexed).
    @discardableResult
    public func removePage(_ pageID: String, datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) -> Int {
        var stats = try statistics(datastore: datastore, in: transaction)
        let removed = try removeChunks(of: pageID, datastore: datastore, stats: &stats, in: transaction)
        if removed > 0 { try saveStatistics(stats, datastore: datastore, in: transaction) }
        return removed
    }

    /// Drops everything a datastore has in the index, its chunk-id counter included.
    public func removeDatastore(_ datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) {
        let prefix = datastorePrefix(datastore)
        try storageCall {
            try transaction.deleteAll(in: tables.chunks, .prefix(prefix))
            try transaction.deleteAll(in: tables.chunkTerms, .prefix(prefix))
            try transaction.deleteAll(in: tables.postings, .prefix(prefix))
            try transaction.deleteAll(in: tables.pages, .prefix(prefix))
            try transaction.delete(tables.stats, datastore)
        }
    }

    // MARK: Internals

    private func addChunk(
        _ chunk: Chunk, id chunkID: UInt64, page: IndexedPage, analysis: ChunkAnalysis, datastore: UInt64,
        in transaction: WriteTransaction
    ) throws(SearchError) {
        let key = ChunkKey(datastore: datastore, chunkID: chunkID)
        let lengthCode = LengthCode.encode(analysis.bodyLength)
        var terms: [(term: String, frequencies: UInt16)] = []
        terms.reserveCapacity(analysis.frequencies.count)
        for (term, frequencies) in analysis.frequencies {
            let entry = PostingEntry(chunkID: chunkID, lengthCode: lengthCode, frequencies: frequencies)
            try storageCall { try transaction.put(tables.postings, TermKey(datastore: datastore, term: term), entry.raw) }
            terms.append((term, entry.frequencies.packed))
        }
        let stored = StoredChunk(
            pageID: page.pageID, ordinal: chunk.ordinal, title: page.title, headingPath: chunk.headingPath,
            anchor: chunk.anchor, urlHint: page.urlHint, text: chunk.text, titleLength: analysis.titleLength,
            headingLength: analysis.headingLength, bodyLength: analysis.bodyLength)
        try storageCall {
            try transaction.put(tables.chunks, key, stored)
            try transaction.put(tables.chunkTerms, key, ChunkTerms(lengthCode: lengthCode, terms: terms))
        }
    }

    /// Deletes every chunk of a page with exactly the postings each one added, and subtracts
    /// them from `stats`.
    private func removeChunks(
        of pageID: String, datastore: UInt64, stats: inout IndexStatistics, in transaction: WriteTransaction
    ) throws(SearchError) -> Int {
        let ids = try chunkIDs(pageID: pageID, datastore: datastore, in: transaction)
        guard !ids.isEmpty else { return 0 }
        for chunkID in ids {
            let key = ChunkKey(datastore: datastore, chunkID: chunkID)
            try storageCall {
                if let terms = try transaction.get(tables.chunkTerms, key) {
                    for (term, entry) in terms.postings(chunkID: chunkID) {
                        try transaction.delete(tables.postings, TermKey(datastore: datastore, term: term), value: entry.raw)
                    }
                    try transaction.delete(tables.chunkTerms, key)
                }
                if let chunk = try transaction.get(tables.chunks, key) {
                    stats.totalTitleLength -= chunk.titleLength
                    stats.totalHeadingLength -= chunk.headingLength
                    stats.totalBodyLength -= chunk.bodyLength
                    try transaction.delete(tables.chunks, key)
                }
            }
        }
        try storageCall { try transaction.delete(tables.pages, PageKey(datastore: datastore, pageID: pageID)) }
        stats.chunkCount -= ids.count
        stats.pageCount -= 1
        return ids.count
    }

    private func saveStatistics(_ stats: IndexStatistics, datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) {
        try storageCall { try transaction.put(tables.stats, datastore, stats) }
    }
}

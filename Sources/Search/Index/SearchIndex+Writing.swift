import Content
import Storage

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
        try replacePages([PageUpdate(page: page, chunks: chunks)], datastore: datastore, in: transaction,
                         tokenizer: tokenizer)
    }

    /// Replaces several pages at once, inside the caller's transaction: ``prepare(_:tokenizer:)``
    /// then ``apply(_:datastore:in:)``. A page listed twice keeps its last entry.
    @discardableResult
    public func replacePages(
        _ updates: [PageUpdate],
        datastore: UInt64,
        in transaction: WriteTransaction,
        tokenizer: Tokenizer
    ) throws(SearchError) -> PageIndexChange {
        try apply(prepare(updates, tokenizer: tokenizer), datastore: datastore, in: transaction)
    }

    /// Writes prepared pages inside the caller's transaction, replacing whatever those pages
    /// had. Postings are grouped by term and written in key order, each term's new ids appended
    /// after its existing ones, so the write transaction does little besides LMDB puts.
    @discardableResult
    public func apply(_ prepared: PreparedPages, datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) -> PageIndexChange {
        var stats = try statistics(datastore: datastore, in: transaction)
        var change = PageIndexChange(removedChunks: 0, addedChunks: 0)
        for page in prepared.pages {
            change.removedChunks += try removeChunks(of: page.page.pageID, datastore: datastore, stats: &stats,
                                                     in: transaction)
        }
        guard stats.nextChunkID + UInt64(prepared.chunkCount) <= PostingEntry.maxChunkID else {
            throw .chunkIDsExhausted(datastore: datastore)
        }
        var postings = PostingBuffer()
        for page in prepared.pages where !page.chunks.isEmpty {
            let pageKey = PageKey(datastore: datastore, pageID: page.page.pageID)
            for chunk in page.chunks {
                let chunkID = stats.nextChunkID
                stats.nextChunkID += 1
                try addChunk(chunk, id: chunkID, page: page.page, datastore: datastore, postings: &postings,
                             vocabulary: prepared.terms, in: transaction)
                try appendOrPut(tables.pages, pageKey, chunkID, in: transaction)
                stats.chunkCount += 1
                stats.totalTitleLength += chunk.analysis.titleLength
                stats.totalHeadingLength += chunk.analysis.headingLength
                stats.totalBodyLength += chunk.analysis.bodyLength
            }
            stats.pageCount += 1
            change.addedChunks += page.chunks.count
        }
        try writePostings(postings, vocabulary: prepared.terms, datastore: datastore, in: transaction)
        try saveStatistics(stats, datastore: datastore, in: transaction)
        return change
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

    /// Stores the chunk and its term list, and collects its postings for ``writePostings``.
    private func addChunk(
        _ prepared: PreparedPages.PreparedChunk, id chunkID: UInt64, page: IndexedPage, datastore: UInt64,
        postings: inout PostingBuffer, vocabulary: [String], in transaction: WriteTransaction
    ) throws(SearchError) {
        let chunk = prepared.chunk
        let analysis = prepared.analysis
        let key = ChunkKey(datastore: datastore, chunkID: chunkID)
        let lengthCode = LengthCode.encode(analysis.bodyLength)
        var terms: [(term: String, frequencies: UInt16)] = []
        terms.reserveCapacity(analysis.terms.count)
        for (id, frequencies) in analysis.terms {
            let entry = PostingEntry(chunkID: chunkID, lengthCode: lengthCode, frequencies: frequencies)
            postings.append(entry.raw, to: id)
            terms.append((vocabulary[Int(id)], entry.frequencies.packed))
        }
        let stored = StoredChunk(
            pageID: page.pageID, ordinal: chunk.ordinal, title: page.title, headingPath: chunk.headingPath,
            anchor: chunk.anchor, urlHint: page.urlHint, text: chunk.text, titleLength: analysis.titleLength,
            headingLength: analysis.headingLength, bodyLength: analysis.bodyLength)
        try appendOrPut(tables.chunks, key, stored, in: transaction)
        try appendOrPut(tables.chunkTerms, key, ChunkTerms(lengthCode: lengthCode, terms: terms), in: transaction)
    }

    /// Writes collected postings in key order. Ids come from a counter that only grows, so
    /// each is above every id already under its term and can be appended (`MDB_APPENDDUP`);
    /// should LMDB refuse, the ordinary insert runs instead.
    private func writePostings(
        _ postings: PostingBuffer, vocabulary: [String], datastore: UInt64, in transaction: WriteTransaction
    ) throws(SearchError) {
        let order = postings.termIDs.sorted { vocabulary[Int($0)].utf8.lexicographicallyPrecedes(vocabulary[Int($1)].utf8) }
        for id in order {
            let key = TermKey(datastore: datastore, term: vocabulary[Int(id)]).withStorageBytes { Array($0) }
            for raw in postings.entries(of: id) {
                try appendOrPut(tables.postingsByKeyBytes, key, raw, in: transaction)
            }
        }
    }

    /// Appends (the fast path for keys, or duplicates, beyond the last) and falls back to an
    /// ordinary insert when LMDB refuses because something sorts after it (another
    /// datastore's records, say).
    @inline(__always)
    private func appendOrPut<K, V>(_ table: Storage.Table<K, V>, _ key: K, _ value: V, in transaction: WriteTransaction) throws(SearchError) {
        try storageCall {
            if try !transaction.put(table, key, value, mode: .append) {
                try transaction.put(table, key, value)
            }
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

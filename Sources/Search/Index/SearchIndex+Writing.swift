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
    /// had. Records come encoded and postings grouped by term from ``prepare(_:tokenizer:)``:
    /// the transaction numbers the chunks, puts the records and writes each term's postings in
    /// one bulk put.
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
        let firstChunkID = stats.nextChunkID
        try storageCall {
            for page in prepared.pages where !page.chunks.isEmpty {
                let pageFirst = stats.nextChunkID
                for chunk in page.chunks {
                    let key = ChunkKey(datastore: datastore, chunkID: stats.nextChunkID)
                    try putChunk(chunk.pieces, key: key, in: transaction)
                    try appendOrPut(tables.chunkTermRecords, key, chunk.terms, in: transaction)
                    stats.nextChunkID += 1
                    stats.chunkCount += 1
                    stats.totalTitleLength += chunk.titleLength
                    stats.totalHeadingLength += chunk.headingLength
                    stats.totalBodyLength += chunk.bodyLength
                }
                try transaction.putDuplicates(tables.pages, PageKey(datastore: datastore, pageID: page.page.pageID),
                                              pageFirst..<stats.nextChunkID)
                stats.pageCount += 1
                change.addedChunks += page.chunks.count
            }
            try writePostings(prepared.postings, firstChunkID: firstChunkID, datastore: datastore, in: transaction)
        }
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
            try transaction.deleteAll(in: tables.chunkHeads, .prefix(prefix))
            try transaction.deleteAll(in: tables.chunkTerms, .prefix(prefix))
            try transaction.deleteAll(in: tables.postings, .prefix(prefix))
            try transaction.deleteAll(in: tables.pages, .prefix(prefix))
            try transaction.delete(tables.stats, datastore)
        }
    }

    // MARK: Internals

    /// Writes the batch's postings term by term in key order, each term's list in one bulk put.
    /// Chunk ids come from a counter that only grows, so every list ascends and lands after the
    /// ids already under its term: LMDB's fast path.
    private func writePostings(
        _ postings: BatchPostings, firstChunkID: UInt64, datastore: UInt64, in transaction: WriteTransaction
    ) throws {
        let values = postings.filled(firstChunkID: firstChunkID)
        try values.withUnsafeBytes { bytes in
            let size = MemoryLayout<UInt64>.size
            for (slot, term) in postings.terms.enumerated() {
                let run = UnsafeRawBufferPointer(rebasing: bytes[postings.starts[slot] * size..<postings.starts[slot + 1] * size])
                try transaction.putDuplicates(tables.postings, TermKey(datastore: datastore, term: term), encodedValues: run)
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
            }
            if let chunk = try deleteChunk(key, in: transaction) {
                stats.totalTitleLength -= chunk.titleLength
                stats.totalHeadingLength -= chunk.headingLength
                stats.totalBodyLength -= chunk.bodyLength
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

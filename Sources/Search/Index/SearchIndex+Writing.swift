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
        try apply(prepare(updates, tokenizer: tokenizer), datastore: datastore, in: transaction, tokenizer: tokenizer)
    }

    /// Writes prepared pages inside the caller's transaction, replacing whatever those pages
    /// had. Records come encoded and postings grouped by term from ``prepare(_:tokenizer:)``:
    /// the transaction numbers the chunks, puts the records and writes each term's postings in
    /// one bulk put. Pages that were indexed before have their old postings derived from their
    /// stored chunks and deleted (see ``IndexFormat``), with `tokenizer` when given (pass the
    /// one that prepared the pages: its stems are already cached), else with one made here.
    @discardableResult
    public func apply(
        _ prepared: PreparedPages, datastore: UInt64, in transaction: WriteTransaction, tokenizer: Tokenizer? = nil
    ) throws(SearchError) -> PageIndexChange {
        var stats = try statistics(datastore: datastore, in: transaction)
        var change = PageIndexChange(removedChunks: 0, addedChunks: 0)
        var removal = Removal(tokenizer: tokenizer)
        for page in prepared.pages {
            let removed = try removeChunks(of: page.page.pageID, datastore: datastore, stats: &stats,
                                           removal: &removal, in: transaction)
            change.removedChunks += removed
            try deleteDocument(pageID: page.page.pageID, datastore: datastore, in: transaction)
            // Its postings were deleted from leaves all over the index (every generation and
            // term it had): read pages of the map need not stay resident until the commit.
            if removed > 0 { transaction.releaseResidentMapPages() }
        }
        try checkFormat(stats, datastore: datastore)
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
                    stats.nextChunkID += 1
                    stats.chunkCount += 1
                    stats.totalTitleLength += chunk.titleLength
                    stats.totalHeadingLength += chunk.headingLength
                    stats.totalBodyLength += chunk.bodyLength
                }
                try transaction.putDuplicates(tables.pages, PageKey(datastore: datastore, pageID: page.page.pageID),
                                              pageFirst..<stats.nextChunkID)
                if let text = page.text {
                    try putDocument(text, pageID: page.page.pageID, datastore: datastore, in: transaction)
                }
                stats.pageCount += 1
                change.addedChunks += page.chunks.count
            }
            try writePostings(prepared.postings, firstChunkID: firstChunkID, chunkCount: prepared.chunkCount,
                              datastore: datastore, in: transaction)
        }
        try saveStatistics(stats, datastore: datastore, in: transaction)
        return change
    }

    /// Removes a page's chunks, postings, text and counts. Returns how many chunks went (0 if
    /// the page was not indexed).
    @discardableResult
    public func removePage(_ pageID: String, datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) -> Int {
        var stats = try statistics(datastore: datastore, in: transaction)
        var removal = Removal(tokenizer: nil)
        let removed = try removeChunks(of: pageID, datastore: datastore, stats: &stats, removal: &removal, in: transaction)
        try deleteDocument(pageID: pageID, datastore: datastore, in: transaction)
        if removed > 0 { try saveStatistics(stats, datastore: datastore, in: transaction) }
        return removed
    }

    /// Drops everything a datastore has in the index (page texts too), its chunk-id counter included.
    public func removeDatastore(_ datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) {
        let prefix = datastorePrefix(datastore)
        try storageCall {
            try transaction.deleteAll(in: tables.chunkHeads, .prefix(prefix))
            try transaction.deleteAll(in: tables.postings, .prefix(prefix))
            try transaction.deleteAll(in: tables.pages, .prefix(prefix))
            try transaction.deleteAll(in: tables.documents, .prefix(prefix))
            try transaction.delete(tables.stats, datastore)
        }
        try removeAllVectors(datastore: datastore, in: transaction)
    }

    // MARK: Internals

    /// Writes the batch's postings in key order (generation, then term), each term's list in
    /// one bulk put, all through one cursor (the next term is usually on the leaf page of the
    /// last). Chunk ids come from a counter that only grows, so every list ascends and lands
    /// after the ids already under its key: LMDB's fast path. A batch whose ids cross into a
    /// new generation writes each term's run in two parts, the older generation first.
    private func writePostings(
        _ postings: BatchPostings, firstChunkID: UInt64, chunkCount: Int, datastore: UInt64, in transaction: WriteTransaction
    ) throws {
        guard chunkCount > 0 else { return }
        let values = postings.filled(firstChunkID: firstChunkID)
        let first = PostingGeneration.of(chunkID: firstChunkID)
        let last = PostingGeneration.of(chunkID: firstChunkID + UInt64(chunkCount) - 1)
        var written = 0
        try values.withUnsafeBufferPointer { values in
            let bytes = UnsafeRawBufferPointer(values)
            let size = MemoryLayout<UInt64>.size
            try transaction.putDuplicates(tables.postings) { put in
                for generation in first...last {
                    let end = generation == last ? UInt64.max : PostingGeneration.firstChunkID(of: generation + 1)
                    for (slot, term) in postings.terms.enumerated() {
                        var start = postings.starts[slot]
                        let runEnd = postings.starts[slot + 1]
                        // The part of the run in this generation: older parts went out already.
                        if first != last {
                            while start < runEnd, PostingGeneration.of(chunkID: PostingEntry(raw: UInt64(bigEndian: values[start])).chunkID) < generation {
                                start += 1
                            }
                        }
                        var stop = start
                        if first != last {
                            while stop < runEnd, PostingEntry(raw: UInt64(bigEndian: values[stop])).chunkID < end { stop += 1 }
                        } else {
                            stop = runEnd
                        }
                        guard stop > start else { continue }
                        let run = UnsafeRawBufferPointer(rebasing: bytes[start * size..<stop * size])
                        try put(TermKey(datastore: datastore, generation: generation, term: term), run)
                        written += 1
                        if written % Self.releaseMapEveryAppended == 0 { transaction.releaseResidentMapPages() }
                    }
                }
            }
        }
    }

    /// Postings deleted between two releases of the map from the RSS. Each one reads a few
    /// B-tree pages far from the last, and the kernel maps 16 neighbouring pages of the file
    /// with each one it faults in (fault-around, which `MADV_RANDOM` does not stop): without
    /// releases, a transaction replacing a few pages kept tens of MB resident.
    static let releaseMapEvery = 256

    /// Postings lists appended between two releases of the map, when a batch is written. Those
    /// go in key order, so each write touches the leaf pages next to the last and the resident
    /// set grows slowly; each release (an `madvise` over the whole map) makes the next writes
    /// fault back the branch pages every one of them passes. At 100,000 pages, releasing every
    /// 256 appends took create→ready to 14.5–14.8 s against 13.8–13.9 s at 4,096 (two pairs
    /// each), for 10 MB more peak RSS (101 MB; the target there is 200).
    static let releaseMapEveryAppended = 4_096

    /// What removing pages needs besides the transaction: a tokenizer (made on first use) and
    /// buffers reused from page to page.
    struct Removal {
        private var given: Tokenizer?
        var counter = ChunkAnalysis.Counter()
        var postings: [(id: Int32, raw: UInt64)] = []

        init(tokenizer: Tokenizer?) {
            given = tokenizer
        }

        mutating func tokenizer() throws(SearchError) -> Tokenizer {
            if let given { return given }
            let made = try Tokenizer()
            given = made
            return made
        }
    }

    /// Deletes every chunk of a page with exactly the postings each one added, and subtracts
    /// them from `stats`. The postings are derived again from the stored chunks, then deleted
    /// term by term in key order; one that is not there means the chunk was indexed some other
    /// way, and the index is reported corrupted rather than left with stale postings.
    private func removeChunks(
        of pageID: String, datastore: UInt64, stats: inout IndexStatistics, removal: inout Removal,
        in transaction: WriteTransaction
    ) throws(SearchError) -> Int {
        let ids = try chunkIDs(pageID: pageID, datastore: datastore, in: transaction)
        guard !ids.isEmpty else { return 0 }
        try checkFormat(stats, datastore: datastore)
        let tokenizer = try removal.tokenizer()
        tokenizer.clearVocabularyIfLarge()
        removal.postings.removeAll(keepingCapacity: true)
        for chunkID in ids {
            // A chunk missing from under its page added postings nobody can name any more;
            // the audit reports them.
            guard let chunk = try deleteChunk(ChunkKey(datastore: datastore, chunkID: chunkID), in: transaction) else { continue }
            let analysis = ChunkAnalysis(stored: chunk, tokenizer: tokenizer, counter: &removal.counter)
            guard analysis.hasFieldLengths(of: chunk) else {
                throw .corruptedIndex(datastore: datastore, detail: "chunk \(chunkID) of page '\(pageID)' analyses to other "
                                      + "field lengths than it was indexed with")
            }
            for (id, entry) in analysis.postings(chunkID: chunkID) { removal.postings.append((id, entry.raw)) }
            stats.totalTitleLength -= chunk.titleLength
            stats.totalHeadingLength -= chunk.headingLength
            stats.totalBodyLength -= chunk.bodyLength
        }
        let terms = tokenizer.vocabularyTerms
        // Key order (generation, term, value; the page's chunks share most terms): each term's
        // values are deleted from one neighbourhood of the tree, and neighbouring terms from
        // neighbouring pages.
        removal.postings.sort { lhs, rhs in
            let lhsGeneration = PostingGeneration.of(chunkID: PostingEntry(raw: lhs.raw).chunkID)
            let rhsGeneration = PostingGeneration.of(chunkID: PostingEntry(raw: rhs.raw).chunkID)
            if lhsGeneration != rhsGeneration { return lhsGeneration < rhsGeneration }
            return lhs.id == rhs.id ? lhs.raw < rhs.raw : terms[Int(lhs.id)].utf8.lexicographicallyPrecedes(terms[Int(rhs.id)].utf8)
        }
        try storageCall {
            for (offset, (id, raw)) in removal.postings.enumerated() {
                if offset % Self.releaseMapEvery == Self.releaseMapEvery - 1 { transaction.releaseResidentMapPages() }
                guard try transaction.delete(tables.postings, TermKey(datastore: datastore, term: terms[Int(id)], posting: raw),
                                             value: raw) else {
                    throw SearchError.corruptedIndex(datastore: datastore, detail: "posting '\(terms[Int(id)])' of chunk "
                                                     + "\(PostingEntry(raw: raw).chunkID) (page '\(pageID)') is missing")
                }
            }
            try transaction.delete(tables.pages, PageKey(datastore: datastore, pageID: pageID))
        }
        // The chunks' vectors go in the same transaction: none outlives its chunk.
        try removeVectors(of: ids, datastore: datastore, in: transaction)
        stats.chunkCount -= ids.count
        stats.pageCount -= 1
        return ids.count
    }

    /// Refuses to write to a datastore whose chunks were indexed with another layout or
    /// analysis: their postings could not be derived again to remove them.
    private func checkFormat(_ stats: IndexStatistics, datastore: UInt64) throws(SearchError) {
        guard stats.chunkCount > 0, let mismatch = stats.formatMismatch else { return }
        throw .corruptedIndex(datastore: datastore, detail: mismatch)
    }

    private func saveStatistics(_ stats: IndexStatistics, datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) {
        var stats = stats
        stats.layout = IndexFormat.layout
        stats.analysis = IndexFormat.analysis
        try storageCall { try transaction.put(tables.stats, datastore, stats) }
    }
}

import Content

/// Pages tokenised and counted, ready for ``SearchIndex/apply(_:datastore:in:)``.
///
/// Preparing is the CPU-heavy half of indexing and needs no storage, so it can run on any task
/// before the write transaction (for instance while the previous batch commits), keeping the
/// single LMDB writer busy only with puts. A value is immutable and `Sendable`.
public struct PreparedPages: Sendable {
    struct PreparedChunk: Sendable {
        var chunk: Chunk
        var analysis: ChunkAnalysis
    }

    struct PreparedPage: Sendable {
        var page: IndexedPage
        /// Empty: the page is to be removed.
        var chunks: [PreparedChunk]
    }

    /// In input order, one entry per page id (the last one given).
    let pages: [PreparedPage]
    /// Term of each vocabulary id the chunks use.
    let terms: [String]

    /// Pages in the batch.
    public var pageCount: Int { pages.count }
    /// Chunks the batch will add.
    public let chunkCount: Int
}

extension SearchIndex {
    /// Tokenises and counts a batch of pages; no storage access. A page listed twice keeps its
    /// last entry; an entry with no chunks removes its page when applied.
    public func prepare(_ updates: [PageUpdate], tokenizer: Tokenizer) throws(SearchError) -> PreparedPages {
        for update in updates where update.page.pageID.utf8.count > PageKey.maxPageIDBytes {
            throw .pageIDTooLong(pageID: update.page.pageID, limit: PageKey.maxPageIDBytes)
        }
        var latest: [String: Int] = [:]
        for (position, update) in updates.enumerated() { latest[update.page.pageID] = position }
        tokenizer.clearVocabularyIfLarge()
        var counter = ChunkAnalysis.Counter()
        var pages: [PreparedPages.PreparedPage] = []
        var chunkCount = 0
        for (position, update) in updates.enumerated() where latest[update.page.pageID] == position {
            let title = ChunkAnalysis.TitleTerms(title: update.page.title, tokenizer: tokenizer)
            let chunks = update.chunks.map { chunk in
                PreparedPages.PreparedChunk(
                    chunk: chunk, analysis: ChunkAnalysis(chunk: chunk, title: title, tokenizer: tokenizer, counter: &counter))
            }
            chunkCount += chunks.count
            pages.append(PreparedPages.PreparedPage(page: update.page, chunks: chunks))
        }
        return PreparedPages(pages: pages, terms: tokenizer.vocabularyTerms, chunkCount: chunkCount)
    }
}

import Content
import Storage

/// Pages tokenised, counted and encoded, ready for ``SearchIndex/apply(_:datastore:in:)``.
///
/// Preparing is the CPU-heavy half of indexing and needs no storage, so it can run on any task
/// before the write transaction (for instance while the previous batch commits). Everything
/// that does not depend on chunk ids is done here, so the single LMDB writer does little more
/// than puts. A value is immutable and `Sendable`.
public struct PreparedPages: Sendable {
    struct PreparedChunk: Sendable {
        /// The ``StoredChunk`` encoded and cut (see ``ChunkPieces``). Its postings are in
        /// ``PreparedPages/postings``; nothing else about its terms is stored.
        var pieces: [[UInt8]]
        var titleLength: Int
        var headingLength: Int
        var bodyLength: Int
    }

    struct PreparedPage: Sendable {
        var page: IndexedPage
        /// Empty: the page is to be removed.
        var chunks: [PreparedChunk]
        /// The page's ``PageText`` encoded and cut like a chunk; nil: none is kept.
        var text: [[UInt8]]?
    }

    /// In input order, one entry per page id (the last one given).
    let pages: [PreparedPage]
    /// The postings of every chunk, numbered in page order.
    let postings: BatchPostings

    /// Pages in the batch.
    public var pageCount: Int { pages.count }
    /// Chunks the batch will add.
    public let chunkCount: Int
}

/// Part of a batch tokenised, counted and encoded by one tokenizer (``SearchIndex/analyse(_:tokenizer:)``):
/// the parts of a batch are analysed side by side, each with its own tokenizer, and joined
/// into one ``PreparedPages`` (``PreparedPages/joining(_:)``).
public struct AnalysedPages: Sendable {
    /// In input order, one entry per page id (the last one given).
    let pages: [PreparedPages.PreparedPage]
    /// Every chunk's terms, in page order, as ids of `vocabulary`.
    let analyses: [ChunkAnalysis]
    /// Vocabulary id → term, of the tokenizer that analysed the part.
    let vocabulary: [String]
}

extension PreparedPages {
    /// The parts of one batch, in order, as one prepared batch: their vocabularies are mapped
    /// onto the first's. Nil when a page id appears in two parts (the last entry would have to
    /// win across them): prepare such a batch in one part.
    public static func joining(_ parts: [AnalysedPages]) -> PreparedPages? {
        guard let first = parts.first else {
            return PreparedPages(pages: [], analyses: [], vocabulary: [])
        }
        guard parts.count > 1 else {
            return PreparedPages(pages: first.pages, analyses: first.analyses, vocabulary: first.vocabulary)
        }
        var seen = Set<String>()
        for part in parts {
            for page in part.pages where !seen.insert(page.page.pageID).inserted { return nil }
        }
        var vocabulary = first.vocabulary
        var idOfTerm = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) })
        var analyses = first.analyses
        for part in parts.dropFirst() {
            let remap = part.vocabulary.map { term -> Int32 in
                if let id = idOfTerm[term] { return id }
                let id = Int32(vocabulary.count)
                vocabulary.append(term)
                idOfTerm[term] = id
                return id
            }
            for var analysis in part.analyses {
                analysis.terms = analysis.terms.map { (remap[Int($0.id)], $0.frequencies) }
                analyses.append(analysis)
            }
        }
        return PreparedPages(pages: parts.flatMap(\.pages), analyses: analyses, vocabulary: vocabulary)
    }

    /// The postings of `analyses` grouped by term; the same for any numbering of the terms.
    private init(pages: [PreparedPage], analyses: [ChunkAnalysis], vocabulary: [String]) {
        let batch = BatchTerms(chunks: analyses, vocabulary: vocabulary)
        self.init(pages: pages, postings: BatchPostings(chunks: analyses, batch: batch), chunkCount: analyses.count)
    }
}

extension SearchIndex {
    /// Tokenises and counts a batch of pages; no storage access. A page listed twice keeps its
    /// last entry; an entry with no chunks removes its page when applied.
    public func prepare(_ updates: [PageUpdate], tokenizer: Tokenizer) throws(SearchError) -> PreparedPages {
        // One part never fails to join.
        PreparedPages.joining([try analyse(updates, tokenizer: tokenizer)])!
    }

    /// ``prepare(_:tokenizer:)``'s work for one part of a batch (see ``AnalysedPages``).
    public func analyse(_ updates: [PageUpdate], tokenizer: Tokenizer) throws(SearchError) -> AnalysedPages {
        for update in updates where update.page.pageID.utf8.count > PageKey.maxPageIDBytes {
            throw .pageIDTooLong(pageID: update.page.pageID, limit: PageKey.maxPageIDBytes)
        }
        var latest: [String: Int] = [:]
        for (position, update) in updates.enumerated() { latest[update.page.pageID] = position }
        tokenizer.clearVocabularyIfLarge()
        var counter = ChunkAnalysis.Counter()
        var analyses: [ChunkAnalysis] = []
        var pages: [PreparedPages.PreparedPage] = []
        for (position, update) in updates.enumerated() where latest[update.page.pageID] == position {
            let title = ChunkAnalysis.FieldTerms([update.page.title], tokenizer: tokenizer)
            var headings: (path: [String], terms: ChunkAnalysis.FieldTerms)?
            var chunks: [PreparedPages.PreparedChunk] = []
            chunks.reserveCapacity(update.chunks.count)
            for chunk in update.chunks {
                // Consecutive chunks of a section share its heading path.
                if headings?.path != chunk.headingPath {
                    headings = (chunk.headingPath, ChunkAnalysis.FieldTerms(chunk.headingPath, tokenizer: tokenizer))
                }
                let analysis = ChunkAnalysis(chunk: chunk, title: title, headings: headings!.terms, tokenizer: tokenizer,
                                             counter: &counter)
                chunks.append(Self.encode(chunk, of: update.page, analysis: analysis))
                analyses.append(analysis)
            }
            let text = chunks.isEmpty ? nil : update.text.map(Self.encode)
            pages.append(PreparedPages.PreparedPage(page: update.page, chunks: chunks, text: text))
        }
        return AnalysedPages(pages: pages, analyses: analyses, vocabulary: tokenizer.vocabularyTerms)
    }

    /// The page text's record, cut into pieces like a chunk's.
    private static func encode(_ text: PageText) -> [[UInt8]] {
        var record = ByteWriter(capacity: text.encodedSizeEstimate)
        text.encode(to: &record)
        return ChunkPieces.split(record.bytes)
    }

    /// The chunk's record, in a buffer sized up front.
    private static func encode(_ chunk: Chunk, of page: IndexedPage, analysis: ChunkAnalysis) -> PreparedPages.PreparedChunk {
        let stored = StoredChunk(
            pageID: page.pageID, ordinal: chunk.ordinal, title: page.title, headingPath: chunk.headingPath,
            anchor: chunk.anchor, urlHint: page.urlHint, text: chunk.text, titleLength: analysis.titleLength,
            headingLength: analysis.headingLength, bodyLength: analysis.bodyLength)
        var record = ByteWriter(capacity: stored.encodedSizeEstimate)
        stored.encode(to: &record)
        return PreparedPages.PreparedChunk(
            pieces: ChunkPieces.split(record.bytes), titleLength: analysis.titleLength,
            headingLength: analysis.headingLength, bodyLength: analysis.bodyLength)
    }
}

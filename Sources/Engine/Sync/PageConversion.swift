import Confluence
import Content
import Foundation
import Search

/// What one fetched page becomes in the manifest once its batch commits.
struct PageResult: Sendable {
    var pageId: String
    var version: Int?
    var title: String?
    var webui: String?
    /// When the fetched version was made (ms since 1970), when Confluence said.
    var lastModified: Int64?
    var disposition: PageDisposition
    var reason: String?
    var chunks: Int
    var tokens: Int
    var macros: [String]
}

/// Pages converted and tokenized, ready for one write transaction (``IndexCommit``).
struct PreparedBatch: Sendable {
    var results: [PageResult]
    var pages: PreparedPages
}

/// Converts fetched pages to chunks and tokenizes them: CPU work only, no storage, so it runs
/// off the writer (the single LMDB write transaction) and beside the next request.
struct PageConversion: Sendable {
    let options: EngineOptions
    let index: SearchIndex

    /// `ids` in order; an id absent from `fetched` is gone since it was listed.
    func convert(ids: [String], fetched: [Page], site: ConfluenceSite) -> (results: [PageResult], updates: [PageUpdate]) {
        let byId = Dictionary(fetched.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let chunker = Chunker(options: options.chunking)
        var results: [PageResult] = []
        var updates: [PageUpdate] = []
        for id in ids {
            guard let page = byId[id] else {
                // Gone between the listing and now (deleted, or no longer visible).
                results.append(PageResult(pageId: id, disposition: .deleted, reason: "not_found_when_fetched", chunks: 0, tokens: 0, macros: []))
                updates.append(PageUpdate(page: IndexedPage(pageID: id, title: ""), chunks: []))
                continue
            }
            let (result, update) = convert(page, site: site, chunker: chunker)
            results.append(result)
            if let update { updates.append(update) }
        }
        return (results, updates)
    }

    /// ``convert(ids:fetched:site:)`` and ``prepare(results:updates:tokenizer:)`` of pages fetched
    /// with their bodies, in `parts` side by side (see ``parts(stagesAhead:)``). Each part is
    /// tokenized where it was converted, by a tokenizer of its own, and the parts are joined
    /// (``PreparedPages/joining(_:)``): tokenizing the whole batch after the parallel conversion
    /// was a single-threaded step. Results keep the pages' order. The durations are each stage's
    /// mean over the parts (the parts run side by side).
    func convertAndPrepareInParallel(_ pages: [Page], site: ConfluenceSite, parts: Int) async throws(SyncFailure)
        -> (batch: PreparedBatch, convert: Duration, tokenize: Duration) {
        let parts = min(max(1, parts), max(1, pages.count / Self.minimumPagesPerPart))
        let size = (pages.count + parts - 1) / parts
        typealias Part = (index: Int, results: [PageResult], updates: [PageUpdate], analysed: Result<AnalysedPages, SearchError>,
                          convert: Duration, tokenize: Duration)
        let converted: [Part] = await withTaskGroup(of: Part.self) { group in
            for part in 0..<parts {
                let slice = Array(pages[min(pages.count, part * size)..<min(pages.count, (part + 1) * size)])
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let (results, updates) = convert(ids: slice.map(\.id), fetched: slice, site: site)
                    let converted = clock.now
                    let analysed = Result { () throws(SearchError) in try index.analyse(updates, tokenizer: try Tokenizer()) }
                    return (part, results, updates, analysed, converted - start, clock.now - converted)
                }
            }
            var parts: [Part] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.index < $1.index }
        }
        let results = converted.flatMap(\.results)
        let converting = converted.reduce(Duration.zero) { $0 + $1.convert } / parts
        let tokenizing = converted.reduce(Duration.zero) { $0 + $1.tokenize } / parts
        do {
            let analysed = try converted.map { part throws(SearchError) in try part.analysed.get() }
            if let joined = PreparedPages.joining(analysed) {
                return (PreparedBatch(results: results, pages: joined), converting, tokenizing)
            }
        } catch {
            throw .transient("indexing: \(error)")
        }
        // A page id in two parts (a listing that repeated a page): one tokenizer keeps the last.
        let batch = try prepare(results: results, updates: converted.flatMap(\.updates), tokenizer: try Self.tokenizer())
        return (batch, converting, tokenizing)
    }

    /// How many parts each listing batch's conversion is split into when `stagesAhead` batches
    /// convert side by side (``EngineOptions/listingRequestsAhead``): the cores those stages
    /// leave, so every core has a part, and no more. Each part costs a tokenizer whose
    /// vocabulary starts empty (every distinct word stemmed again) and a join. With two cores and
    /// two stages ahead, a batch in two parts kept nothing idle that one part did not, and a
    /// 20,000-page create→ready took 3.0–3.8 s and 4.8–5.6 s of CPU against 2.6–2.9 s and
    /// 4.3–4.5 s in one part (four interleaved bench invocations each).
    static func parts(stagesAhead: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        max(1, cores / max(1, stagesAhead))
    }

    /// Fewer pages than this per part are not worth a task.
    static let minimumPagesPerPart = 16

    /// One page with its body; the update is nil when the index is to be left alone.
    private func convert(_ page: Page, site: ConfluenceSite, chunker: Chunker) -> (PageResult, PageUpdate?) {
        let id = page.id
        var result = PageResult(pageId: id, version: page.version, title: page.title, webui: page.webui,
                                lastModified: page.lastModified.map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) },
                                disposition: .indexed, chunks: 0, tokens: 0, macros: [])
        guard let body = page.storageBody else {
            result.disposition = .failed
            result.reason = "body_missing: Confluence returned no storage body for this page"
            return (result, nil)
        }
        if body.utf8.count > options.maxBodyBytes {
            result.disposition = .skipped
            result.reason = "too_large: \(body.utf8.count) bytes, above the \(options.maxBodyBytes)-byte limit"
            return (result, PageUpdate(page: IndexedPage(pageID: id, title: page.title), chunks: []))
        }
        let document = StorageFormat.convert(body, title: page.title)
        // Rendered once, for the chunker and for the page text.
        let rendered = RenderedDocument(document)
        var chunks = chunker.chunks(of: rendered, pageID: id)
        if chunks.isEmpty {
            // A page with nothing but a title is still findable by it.
            chunks = [Chunk(pageID: id, ordinal: 0, sectionIndex: nil, headingPath: [], anchor: "", text: page.title,
                            wordCount: page.title.split(separator: " ").count)]
        }
        result.chunks = chunks.count
        result.tokens = chunks.reduce(0) { $0 + $1.wordCount }
        result.macros = document.macroFlags.keys.sorted()
        // The whole Markdown is kept beside the chunks: they overlap, so the page cannot be
        // read back from them.
        return (result, PageUpdate(page: IndexedPage(pageID: id, title: page.title, urlHint: page.webui.map(site.webURL) ?? ""),
                                   chunks: chunks, text: PageText(rendered: rendered)))
    }

    /// Tokenizes one commit group.
    func prepare(results: [PageResult], updates: [PageUpdate], tokenizer: Tokenizer) throws(SyncFailure) -> PreparedBatch {
        do {
            return PreparedBatch(results: results, pages: try index.prepare(updates, tokenizer: tokenizer))
        } catch {
            throw .transient("indexing: \(error)")
        }
    }

    /// A tokenizer for one batch (its stem cache is the batch's).
    static func tokenizer() throws(SyncFailure) -> Tokenizer {
        do {
            return try Tokenizer()
        } catch {
            throw .transient("indexing: \(error)")
        }
    }
}

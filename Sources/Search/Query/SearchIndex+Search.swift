import Storage

/// Decides whether a page's chunks may be results (a filter by space, label or date, say).
/// Consulted while candidates are gathered, at most once per page and query, only for pages
/// that have a candidate; it may read storage in the search's transaction.
public typealias PagePredicate = (_ pageID: String) throws -> Bool

extension SearchIndex {
    /// Searches one datastore inside the caller's read (or write) transaction; with `filter`,
    /// only chunks of pages it accepts are results (and `limit` of them still come back when
    /// that many exist).
    public func search(
        _ text: String,
        datastore: UInt64,
        options: SearchOptions = SearchOptions(),
        in transaction: ReadTransaction,
        tokenizer: Tokenizer,
        filter: PagePredicate? = nil
    ) throws(SearchError) -> [SearchResult] {
        let query = SearchQuery(parsing: text, tokenizer: tokenizer, maxTerms: options.maxQueryTerms)
        return try search(query, datastore: datastore, options: options, in: transaction, tokenizer: tokenizer,
                          filter: filter)
    }

    /// Searches one datastore in a read transaction of its own, with a tokenizer of its own.
    public func search(
        _ text: String,
        datastore: UInt64,
        options: SearchOptions = SearchOptions()
    ) throws(SearchError) -> [SearchResult] {
        let tokenizer = try Tokenizer()
        return try storageCall {
            try store.read { transaction in
                try search(text, datastore: datastore, options: options, in: transaction, tokenizer: tokenizer)
            }
        }
    }

    /// Runs a parsed query (see ``search(_:datastore:options:in:tokenizer:filter:)``).
    public func search(
        _ query: SearchQuery,
        datastore: UInt64,
        options: SearchOptions = SearchOptions(),
        in transaction: ReadTransaction,
        tokenizer: Tokenizer,
        filter: PagePredicate? = nil
    ) throws(SearchError) -> [SearchResult] {
        guard options.limit > 0, !query.terms.isEmpty else { return [] }
        let stats = try statistics(datastore: datastore, in: transaction)
        guard stats.chunkCount > 0 else { return [] }

        var lists: [PostingList] = []
        for term in query.terms {
            var list = try PostingList(term: term, datastore: datastore, generations: stats.postingGenerations,
                                       table: tables.postings, in: transaction)
            guard !list.entries.isEmpty else { continue }
            list.idf = BM25FScorer.idf(documentFrequency: list.entries.count, chunkCount: stats.chunkCount)
            lists.append(list)
        }
        guard !lists.isEmpty else { return [] }

        // Phrases and per-page caps re-rank, so fetch a wider pool than asked for. Phrases are
        // verified on chunk text (positions are not stored), so their pool is the widest: chunks
        // holding all of a phrase's terms rank first in it thanks to the provisional bonus.
        // Proximity re-ranks too (quoted phrases take its place when there are some).
        let proximity = options.ranking.proximityBoost > 0 && query.phrases.isEmpty && !query.pairs.isEmpty
        let titleMatch = options.ranking.titleMatchBoost > 0
        let rerank = !query.phrases.isEmpty || options.maxResultsPerPage != nil || proximity || titleMatch
        let pool = !query.phrases.isEmpty ? max(options.limit * 20, 200)
            : rerank ? max(options.rerankPool ?? max(options.limit * 4, options.limit + 20), options.limit) : options.limit
        let scorer = BM25FScorer(parameters: options.ranking, averageBodyLength: stats.averageBodyLength)
        let hints = phraseHints(query, lists: lists, boost: options.ranking.phraseBoost)
        let top: [TopK.Entry]
        if filter != nil || options.maxResultsPerPage != nil {
            // Every candidate is kept, and taken best first until `pool` of them pass the filter
            // and the per-page cap: a filter that rejects most of them, or a few long pages
            // whose chunks all match (they share the title), still leave a full pool.
            var all = CandidateQueue()
            scorer.scoreChunks(lists, phrases: hints, into: &all)
            top = try accepted(from: &all, count: pool, perPage: options.maxResultsPerPage, keepBeyondCap: !hints.isEmpty,
                               filter: filter, datastore: datastore, in: transaction)
        } else {
            top = scorer.topChunks(lists, capacity: pool, phrases: hints).sorted()
        }

        // From here on terms are vocabulary ids of this tokenizer: text is matched without
        // building strings or re-stemming known words.
        tokenizer.clearVocabularyIfLarge()
        var weights: [Int32: Double] = [:]
        for list in lists { weights[tokenizer.termID(ofStem: list.term)] = list.idf }
        let phrases = query.phrases.map { $0.map(tokenizer.termID(ofStem:)) }
        let phraseWeights = query.phrases.map { phrase in
            options.ranking.phraseBoost * phrase.reduce(0) { total, term in
                total + (lists.first { $0.term == term }?.idf ?? 0)
            }
        }

        let pairs = proximity ? ProximityPairs(query.pairs, lists: lists, tokenizer: tokenizer,
                                                boost: options.ranking.proximityBoost,
                                                window: options.ranking.proximityWindow) : nil

        // The query's content terms (see ``RankingParameters/titleMatchBoost``) and the bonus
        // of a title made of exactly them; titles are looked at once per page.
        let queryTerms = Set(query.terms.map(tokenizer.termID(ofStem:)).filter(tokenizer.isContentTerm))
        let titleBonus = titleMatch && !queryTerms.isEmpty
            ? options.ranking.titleMatchBoost * lists.reduce(0) { $0 + $1.idf } : 0
        var titleMatches: [String: Bool] = [:]

        var candidates: [Candidate] = []
        candidates.reserveCapacity(top.count)
        // Best final scores so far, descending, at most `limit` of them.
        var best: [Double] = []
        // Proximity bonuses come on top of the provisional scores, which then bound nothing.
        let canStopEarly = options.maxResultsPerPage == nil && pairs == nil && titleBonus == 0
        for entry in top {
            // The pool is in provisional order and a final score never exceeds its provisional
            // one, so once `limit` final scores beat this entry's, no later entry can enter.
            if canStopEarly, best.count == options.limit, let last = best.last, last > entry.score { break }
            guard let chunk = try chunk(entry.id, datastore: datastore, in: transaction) else {
                throw .corruptedIndex(datastore: datastore, detail: "posting for missing chunk \(entry.id)")
            }
            var candidate = Candidate(id: entry.id, chunk: chunk, score: entry.score)
            let provisional = hints.reduce(0) { $0 + ($1.mask & entry.matched == $1.mask ? $1.bonus : 0) }
            if provisional > 0 {
                // Swap the provisional bonus for the verified one.
                candidate.occurrences = tokenizer.occurrences(in: chunk.text)
                candidate.score += phraseBonus(phrases, weights: phraseWeights, candidate: candidate, tokenizer: tokenizer)
                    - provisional
            }
            if let pairs {
                let occurrences = candidate.occurrences ?? tokenizer.occurrences(in: chunk.text)
                candidate.occurrences = occurrences
                // Body, title and headings apart: the `## Heading` line opening a section is the
                // heading field (see ``ChunkAnalysis/body(of:headingPath:)``), not body text.
                let body = ChunkAnalysis.body(of: chunk.text, headingPath: chunk.headingPath)
                let start = chunk.text.utf8.distance(from: chunk.text.startIndex, to: body.startIndex)
                let names = ([chunk.title] + chunk.headingPath).map { tokenizer.occurrences(in: $0)[...] }
                candidate.score += pairs.bonus([occurrences.drop { $0.byteRange.lowerBound < start }] + names)
            }
            if titleBonus > 0 {
                let matches = titleMatches[chunk.pageID] ?? {
                    let title = Set(tokenizer.occurrences(in: chunk.title).map(\.id).filter(tokenizer.isContentTerm))
                    titleMatches[chunk.pageID] = title == queryTerms
                    return title == queryTerms
                }()
                if matches { candidate.score += titleBonus }
            }
            candidates.append(candidate)
            let slot = best.firstIndex { $0 < candidate.score } ?? best.count
            if slot < options.limit {
                best.insert(candidate.score, at: slot)
                if best.count > options.limit { best.removeLast() }
            }
        }
        if rerank {
            candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
        }

        var results: [SearchResult] = []
        var perPage: [String: Int] = [:]
        for var candidate in candidates {
            if let cap = options.maxResultsPerPage {
                guard perPage[candidate.chunk.pageID, default: 0] < cap else { continue }
                perPage[candidate.chunk.pageID, default: 0] += 1
            }
            if candidate.occurrences == nil { candidate.occurrences = tokenizer.occurrences(in: candidate.chunk.text) }
            results.append(result(for: candidate, weights: weights, options: options))
            if results.count == options.limit { break }
        }
        return results
    }

    // MARK: Internals

    /// The best candidates whose pages `filter` accepts (all, without one), best first, until
    /// `count` of them count: with a per-page cap only the first `perPage` of a page do (the
    /// cap is applied after re-ranking, so a few pages must not fill the pool). Chunks beyond
    /// the cap are dropped here unless phrase re-ranking (`keepBeyondCap`) may still lift them
    /// above their page's others. Each candidate's page id comes from the head of its record;
    /// the filter sees each page once (``PageVerdicts``).
    private func accepted(
        from queue: inout CandidateQueue, count: Int, perPage: Int?, keepBeyondCap: Bool, filter: PagePredicate?,
        datastore: UInt64, in transaction: ReadTransaction
    ) throws(SearchError) -> [TopK.Entry] {
        var accepted: [TopK.Entry] = []
        var counted = 0
        var verdicts = PageVerdicts(filter)
        var perPageCounts: [String: Int] = [:]
        while counted < count, let entry = queue.popBest() {
            guard let pageID = try pageID(ofChunk: entry.id, datastore: datastore, in: transaction) else {
                throw .corruptedIndex(datastore: datastore, detail: "posting for missing chunk \(entry.id)")
            }
            guard try verdicts.accepts(pageID) else { continue }
            perPageCounts[pageID, default: 0] += 1
            let withinCap = perPage.map { perPageCounts[pageID, default: 0] <= $0 } ?? true
            if withinCap { counted += 1 }
            if withinCap || keepBeyondCap { accepted.append(entry) }
        }
        return accepted
    }

    private struct Candidate {
        var id: UInt64
        var chunk: StoredChunk
        var score: Double
        var occurrences: [TermOccurrence]?
    }

    /// Provisional bonuses for phrases whose every indexed term has postings.
    /// Phrase words that are not query terms (dropped stop words) are not in the mask.
    private func phraseHints(_ query: SearchQuery, lists: [PostingList], boost: Double) -> [BM25FScorer.PhraseHint] {
        query.phrases.compactMap { phrase in
            var mask: UInt64 = 0
            var bonus = 0.0
            for term in phrase {
                if let index = lists.firstIndex(where: { $0.term == term }) {
                    mask |= 1 << UInt64(index)
                    bonus += boost * lists[index].idf
                } else if query.terms.contains(term) {
                    return nil  // a term with no postings: the phrase occurs nowhere
                }
            }
            return BM25FScorer.PhraseHint(mask: mask, bonus: bonus)
        }
    }

    /// The bonus of each phrase found verbatim in the body, title or headings.
    private func phraseBonus(
        _ phrases: [[Int32]], weights: [Double], candidate: Candidate, tokenizer: Tokenizer
    ) -> Double {
        let body = candidate.occurrences?.map(\.id) ?? []
        var fields: [[Int32]]?
        var bonus = 0.0
        for (phrase, weight) in zip(phrases, weights) {
            var found = Self.contains(body, phrase)
            if !found {
                fields = fields ?? ([candidate.chunk.title] + candidate.chunk.headingPath).map {
                    tokenizer.occurrences(in: $0).map(\.id)
                }
                found = fields?.contains { Self.contains($0, phrase) } ?? false
            }
            if found { bonus += weight }
        }
        return bonus
    }

    /// Whether `phrase` occurs as consecutive terms in `terms`.
    static func contains(_ terms: [Int32], _ phrase: [Int32]) -> Bool {
        guard !phrase.isEmpty, terms.count >= phrase.count else { return false }
        for start in 0...(terms.count - phrase.count) where terms[start] == phrase[0] {
            if terms[start..<(start + phrase.count)].elementsEqual(phrase) { return true }
        }
        return false
    }

    private func result(for candidate: Candidate, weights: [Int32: Double], options: SearchOptions) -> SearchResult {
        let chunk = candidate.chunk
        let snippet = Snippet.make(
            text: chunk.text, occurrences: candidate.occurrences ?? [], weights: weights, words: options.snippetWords,
            open: options.highlightOpen, close: options.highlightClose)
        return SearchResult(
            pageID: chunk.pageID, chunkID: candidate.id, ordinal: chunk.ordinal, title: chunk.title,
            headingPath: chunk.headingPath, anchor: chunk.anchor, urlHint: chunk.urlHint, score: candidate.score,
            snippet: snippet, text: chunk.text)
    }
}

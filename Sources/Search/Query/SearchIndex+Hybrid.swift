import Storage

extension SearchIndex {
    /// How deep each leg of a hybrid search ranks for `limit` results. Deep enough that a
    /// chunk both legs rank fairly well (lexical rank 3 and dense rank 50, say) is in both
    /// pools and outranks one only the dense leg ranks 9th: on the tuning half of
    /// `scripts/bench retrieval`'s questions, pools of 40 cut Recall@10 from 0.941 to 0.931.
    static func hybridPoolSize(limit: Int) -> Int {
        max(limit * 8, 80)
    }

    /// The two rankings hybrid search fuses: the lexical leg's results and the dense leg's
    /// chunks (with their pages), each a pool of ``hybridPoolSize(limit:)`` after `filter` and
    /// the per-page cap of `options`.
    public struct Legs: Sendable {
        /// The parsed query the lexical leg ranked.
        public var query: SearchQuery
        /// The lexical leg, best first.
        public var lexical: [SearchResult]
        /// The dense leg's chunks and their pages, most similar first.
        public var dense: [(chunkID: UInt64, pageID: String)]
    }

    /// Hybrid search of one datastore: the BM25F ranking and the k-NN ranking of `vector`
    /// (the query's embedding, from the datastore's model) fused by weighted reciprocal rank
    /// over pages, weighted by the query's wording (``ReciprocalRankFusion/Hybrid``).
    /// Each leg ranks a pool of ``hybridPoolSize(limit:)`` chunks; the per-page cap and `filter`
    /// apply as in ``search(_:datastore:options:in:tokenizer:filter:)``. A result's score is
    /// its fused score. Without vectors of the query's dimension this is the lexical search.
    public func hybridSearch(
        _ text: String,
        vector: QuantizedVector,
        datastore: UInt64,
        options: SearchOptions = SearchOptions(),
        in transaction: ReadTransaction,
        tokenizer: Tokenizer,
        filter: PagePredicate? = nil
    ) throws(SearchError) -> [SearchResult] {
        guard let legs = try hybridLegs(text, vector: vector, datastore: datastore, options: options, in: transaction,
                                        tokenizer: tokenizer, filter: filter)
        else {
            return try search(text, datastore: datastore, options: options, in: transaction, tokenizer: tokenizer, filter: filter)
        }
        let query = legs.query, lexical = legs.lexical
        let lexicalWeight = ReciprocalRankFusion.Hybrid.lexicalWeight(for: query)
        let fused = ReciprocalRankFusion.fuse(grouped: [lexical.map { (id: $0.chunkID, group: $0.pageID) },
                                                        legs.dense.map { (id: $0.chunkID, group: $0.pageID) }],
                                              weights: [lexicalWeight, 1 - lexicalWeight], k: ReciprocalRankFusion.Hybrid.k)
        var byID: [UInt64: SearchResult] = [:]
        for result in lexical { byID[result.chunkID] = result }
        // Dense-only results get a snippet around any query words they hold.
        tokenizer.clearVocabularyIfLarge()
        var weights: [Int32: Double] = [:]
        for term in query.terms { weights[tokenizer.termID(ofStem: term)] = 1 }

        var results: [SearchResult] = []
        var perPage: [String: Int] = [:]
        for (id, score) in fused {
            var result: SearchResult
            if let known = byID[id] {
                result = known
            } else {
                guard let chunk = try chunk(id, datastore: datastore, in: transaction) else { continue }
                let snippet = Snippet.make(
                    text: chunk.text, occurrences: tokenizer.occurrences(in: chunk.text), weights: weights,
                    words: options.snippetWords, open: options.highlightOpen, close: options.highlightClose)
                result = SearchResult(
                    pageID: chunk.pageID, chunkID: id, ordinal: chunk.ordinal, title: chunk.title,
                    headingPath: chunk.headingPath, anchor: chunk.anchor, urlHint: chunk.urlHint, score: 0,
                    snippet: snippet, text: chunk.text)
            }
            if let cap = options.maxResultsPerPage {
                guard perPage[result.pageID, default: 0] < cap else { continue }
                perPage[result.pageID, default: 0] += 1
            }
            result.score = score
            results.append(result)
            if results.count == options.limit { break }
        }
        return results
    }

    /// The two legs of ``hybridSearch(_:vector:datastore:options:in:tokenizer:filter:)``, or nil
    /// when the datastore has no vectors of the query's dimension (then search is lexical).
    public func hybridLegs(
        _ text: String,
        vector: QuantizedVector,
        datastore: UInt64,
        options: SearchOptions,
        in transaction: ReadTransaction,
        tokenizer: Tokenizer,
        filter: PagePredicate? = nil
    ) throws(SearchError) -> Legs? {
        guard let state = try vectorState(datastore: datastore, in: transaction), state.count > 0,
              state.dimensions == vector.dimensions, options.limit > 0
        else { return nil }
        let pool = Self.hybridPoolSize(limit: options.limit)
        var lexicalOptions = options
        lexicalOptions.limit = pool
        lexicalOptions.rerankPool = pool + 20
        let query = SearchQuery(parsing: text, tokenizer: tokenizer, maxTerms: options.maxQueryTerms)
        let lexical = try search(query, datastore: datastore, options: lexicalOptions, in: transaction, tokenizer: tokenizer,
                                 filter: filter)

        // Dense leg: a wider scan when a filter may reject some, then the filter and cap per page.
        let neighbours = try nearestChunks(to: vector, datastore: datastore, k: filter == nil ? pool : pool * 4, in: transaction)
        var dense: [(chunkID: UInt64, pageID: String)] = []
        var verdicts = PageVerdicts(filter)
        var perPage: [String: Int] = [:]
        for neighbour in neighbours where dense.count < pool {
            guard let pageID = try pageID(ofChunk: neighbour.chunkID, datastore: datastore, in: transaction),
                  try verdicts.accepts(pageID) else { continue }
            perPage[pageID, default: 0] += 1
            if let cap = options.maxResultsPerPage, perPage[pageID, default: 0] > cap { continue }
            dense.append((neighbour.chunkID, pageID))
        }
        return Legs(query: query, lexical: lexical, dense: dense)
    }
}

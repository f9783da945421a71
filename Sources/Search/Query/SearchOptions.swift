/// BM25F parameters.
///
/// A term's pseudo-frequency in a chunk is `title·tf_title + heading·tf_heading +
/// body·tf_body / (1 − b + b·len_body / avg_len_body)`; its score is
/// `idf · tf̃ · (k1 + 1) / (k1 + tf̃)` with `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`, N the
/// datastore's chunk count and df the chunks containing the term in any field. Title and heading
/// path are short and not length-normalised. The title belongs to every chunk of its page, so
/// it lifts all of them and the body decides between them.
public struct RankingParameters: Sendable, Equatable {
    /// Term-frequency saturation.
    public var k1: Double
    /// Body length normalisation, 0…1.
    public var b: Double
    /// Field weights.
    public var titleWeight: Double
    /// The heading path, and the names a chunk defines (which count in the heading field):
    /// 4 rather than 2 took `scripts/bench retrieval`'s known-item MRR@10 from 0.826 to 0.834
    /// on the tuning half and from 0.794 to 0.806 on the held-out half (descriptions and
    /// questions unchanged within 0.002; 3 and 5 were no better).
    public var headingWeight: Double
    public var bodyWeight: Double
    /// A verbatim quoted phrase adds `phraseBoost × Σ idf` of its terms.
    public var phraseBoost: Double
    /// Unquoted multi-word queries: each pair of words next to each other in the query that
    /// also occur within ``proximityWindow`` tokens of each other in a chunk's body, title or one heading adds
    /// `proximityBoost × the smaller idf of the two` (0: off; 0.5 measured best by `scripts/bench retrieval`).
    public var proximityBoost: Double
    /// How near, in tokens, two query words must be for ``proximityBoost``.
    public var proximityWindow: Int
    /// A chunk whose page title is the query (the same terms, function words and numbers
    /// aside: `ALTER VIEW` for the page "ALTER VIEW", not "ALTER MATERIALIZED VIEW") adds
    /// `titleMatchBoost × Σ idf` of the query's terms (0: off). Titles are not length-normalised,
    /// so without it a longer title holding the same words ties with the exact one.
    public var titleMatchBoost: Double

    public init(
        k1: Double = 1.2, b: Double = 0.75, titleWeight: Double = 3, headingWeight: Double = 4,
        bodyWeight: Double = 1, phraseBoost: Double = 1, proximityBoost: Double = 0.5, proximityWindow: Int = 3,
        titleMatchBoost: Double = 0.5
    ) {
        self.k1 = k1
        self.b = min(max(b, 0), 1)
        self.titleWeight = titleWeight
        self.headingWeight = headingWeight
        self.bodyWeight = bodyWeight
        self.phraseBoost = phraseBoost
        self.proximityBoost = max(0, proximityBoost)
        self.proximityWindow = max(1, proximityWindow)
        self.titleMatchBoost = max(0, titleMatchBoost)
    }
}

/// How many results a search returns and how they look.
public struct SearchOptions: Sendable, Equatable {
    /// Results wanted.
    public var limit: Int
    /// At most this many chunks of one page (nil: no limit).
    public var maxResultsPerPage: Int?
    /// Words in a snippet.
    public var snippetWords: Int
    /// Marks around matched words in snippets. The defaults, `«` and `»`, are not Markdown
    /// syntax, so they cannot clash with the `**bold**` of chunk text.
    public var highlightOpen: String
    public var highlightClose: String
    /// Query terms beyond this many (at most 64) are ignored.
    public var maxQueryTerms: Int
    /// Scoring parameters.
    public var ranking: RankingParameters
    /// How many provisional candidates re-ranking looks at when there is no quoted phrase (nil:
    /// `max(4 × limit, limit + 20)`). Hybrid search's lexical leg sets it nearer its limit:
    /// only its order matters there, and the fusion does not need its tail exact.
    var rerankPool: Int?

    public init(
        limit: Int = 10, maxResultsPerPage: Int? = nil, snippetWords: Int = 32, highlightOpen: String = "«",
        highlightClose: String = "»", maxQueryTerms: Int = 32, ranking: RankingParameters = RankingParameters()
    ) {
        self.limit = max(0, limit)
        self.maxResultsPerPage = maxResultsPerPage.map { max(1, $0) }
        self.snippetWords = max(4, snippetWords)
        self.highlightOpen = highlightOpen
        self.highlightClose = highlightClose
        self.maxQueryTerms = min(max(1, maxQueryTerms), 64)
        self.ranking = ranking
    }
}

/// One ranked chunk.
public struct SearchResult: Sendable, Equatable {
    /// The page and chunk.
    public var pageID: String
    public var chunkID: UInt64
    /// Position of the chunk in its page.
    public var ordinal: Int
    /// Page title, heading path and heading anchor: cite as `urlHint#anchor`.
    public var title: String
    public var headingPath: [String]
    public var anchor: String
    public var urlHint: String
    /// BM25F score plus any phrase bonus; comparable only within one query.
    public var score: Double
    /// The best-matching window of the chunk text, whitespace collapsed, matched words between
    /// ``SearchOptions/highlightOpen`` and ``SearchOptions/highlightClose``, `…` where cut.
    public var snippet: String
    /// The chunk's whole Markdown text.
    public var text: String

    /// The chunk as a passage to read or quote: a first line naming where it is (the page
    /// title, then its heading path, `›` between them; a top heading that repeats the title is
    /// named once), a blank line, then the chunk's Markdown.
    public var passage: String {
        Self.passage(title: title, headingPath: headingPath, text: text)
    }

    /// ``passage`` of any chunk (what the embedding stage embeds, too).
    public static func passage(title: String, headingPath: [String], text: String) -> String {
        var names: [String] = []
        for name in [title] + headingPath where !name.isEmpty && name != names.last { names.append(name) }
        let place = names.joined(separator: " › ")
        return place.isEmpty ? text : place + "\n\n" + text
    }
}

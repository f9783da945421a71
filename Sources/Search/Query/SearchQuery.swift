/// A parsed query.
///
/// Syntax: free words, plus `"quoted phrases"` (straight or curly quotes; an unclosed quote runs
/// to the end). Every word is tokenised like indexed text. The words of phrases are scored as
/// ordinary terms; a chunk that also contains a phrase verbatim (consecutive tokens) in its
/// body, title or headings gets a bonus (see ``RankingParameters/phraseBoost``). That check
/// runs only on the best candidates, since positions are not stored in the index. English stop
/// words (``StopWords``) are dropped from the scored terms when any other term remains; phrases
/// keep them. There are no operators: every term is optional (OR) and BM25 rewards chunks that
/// match more of them.
public struct SearchQuery: Sendable, Equatable {
    /// Distinct stemmed terms to score, in query order.
    public var terms: [String]
    /// Quoted phrases of two or more terms, as stemmed term sequences.
    public var phrases: [[String]]
    /// Neighbouring words of the query's unquoted text (stop words skipped), as stemmed
    /// pairs: chunks where they also stand near each other get a proximity bonus.
    public var pairs: [[String]]
    /// How many of the query's words are English function words (``StopWords``), repeats
    /// included: none in a name or keyword query (`wal_level`, `log shipping`), several in a
    /// question. Hybrid search weighs its legs by it
    /// (``ReciprocalRankFusion/Hybrid/lexicalWeight(for:)``).
    public var functionWords: Int

    /// Creates a query from parts (already tokenised terms).
    public init(terms: [String], phrases: [[String]] = [], pairs: [[String]] = [], functionWords: Int = 0) {
        self.terms = terms
        self.phrases = phrases
        self.pairs = pairs
        self.functionWords = functionWords
    }

    /// Parses user input.
    /// - Parameter maxTerms: terms beyond this many are ignored, bounding the work of one query.
    public init(parsing text: String, tokenizer: Tokenizer, maxTerms: Int = 32) {
        var candidates: [(folded: String, term: String)] = []
        var phrases: [[String]] = []
        var pairs: [[String]] = []
        var previous: String?
        for (segment, quoted) in Self.segments(of: text) {
            var folded: [String] = []
            tokenizer.scan(String(segment), stem: false) { bytes, _, _ in
                folded.append(String(decoding: bytes, as: UTF8.self))
            }
            // Stemmed after the scan: the tokenizer's word buffer is busy during it.
            let words = folded.map { (folded: $0, term: tokenizer.stem($0)) }
            if quoted, words.count >= 2 { phrases.append(words.map(\.term)) }
            candidates += words
            if quoted {
                previous = nil
                continue
            }
            for word in words where !StopWords.english.contains(word.folded) {
                if let previous, previous != word.term, !pairs.contains([previous, word.term]) {
                    pairs.append([previous, word.term])
                }
                previous = word.term
            }
        }
        let meaningful = candidates.filter { !StopWords.english.contains($0.folded) }
        functionWords = candidates.count - meaningful.count
        var seen: Set<String> = []
        var terms: [String] = []
        for candidate in meaningful.isEmpty ? candidates : meaningful where seen.insert(candidate.term).inserted {
            terms.append(candidate.term)
            if terms.count == maxTerms { break }
        }
        self.terms = terms
        self.phrases = phrases
        self.pairs = pairs.filter { seen.contains($0[0]) && seen.contains($0[1]) }
    }

    /// Splits at quotes: (text, isQuoted) in order.
    static func segments(of text: String) -> [(Substring, Bool)] {
        var segments: [(Substring, Bool)] = []
        var start = text.startIndex
        var quoted = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\"" || character == "\u{201C}" || character == "\u{201D}" {
                if start < index { segments.append((text[start..<index], quoted)) }
                quoted.toggle()
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        if start < text.endIndex { segments.append((text[start...], quoted)) }
        return segments
    }
}

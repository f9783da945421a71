/// English function words dropped from *queries* (never from the index), and only when the
/// query keeps at least one other term: "the install guide" searches `install guide`, while
/// "the who" still searches both words. Phrase checks still see them, so a quoted phrase keeps
/// its exact wording. The index keeps them because IDF already makes them nearly free in
/// ranking, and because dropping them would make such phrases unsearchable.
enum StopWords {
    /// Folded, unstemmed forms; the query parser compares before stemming.
    static let english: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "how", "i",
        "in", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "what",
        "when", "where", "which", "who", "why", "will", "with", "you", "your", "do", "does", "can",
    ]

    /// The stems of ``english`` under Snowball English: the terms the index leaves out of a
    /// chunk's body length (see ``Vocabulary/isFunctionWord``). Decided by the stem alone, so
    /// every tokenizer counts a text the same, whatever it saw before.
    static let stems: Set<String> = {
        guard let stemmer = try? Stemmer(algorithm: "english") else { return english }
        return Set(english.map { word in
            var bytes = Array(word.utf8)
            if bytes.count >= 3 { stemmer.stem(&bytes) }
            return String(decoding: bytes, as: UTF8.self)
        })
    }()
}

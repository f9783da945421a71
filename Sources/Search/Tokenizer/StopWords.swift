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
}

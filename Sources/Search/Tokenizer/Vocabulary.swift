/// Interned terms for the indexing path: each distinct folded word is hashed once, stemmed
/// once, and mapped to a small integer id shared by every word with the same stem. Counting
/// terms per chunk then works on arrays indexed by id instead of string-keyed dictionaries.
///
/// Owned by a ``Tokenizer``; ids stay valid until ``clearIfLarge()`` runs, which the index
/// writer calls only at the start of a write.
struct Vocabulary {
    /// Id → stemmed term.
    private(set) var terms: [String] = []
    private var byStem: [String: Int32] = [:]
    private var byWord: [String: Int32] = [:]

    /// Words remembered before the tables are dropped (bounds memory on endless streams).
    static let limit = 400_000

    var count: Int { terms.count }

    /// The id of an already-folded word, if seen before.
    @inline(__always)
    func id(ofWord word: String) -> Int32? {
        byWord[word]
    }

    /// The id of a stemmed term, registering it if new.
    mutating func id(ofStem stem: String) -> Int32 {
        if let existing = byStem[stem] { return existing }
        let id = Int32(terms.count)
        terms.append(stem)
        byStem[stem] = id
        return id
    }

    /// Records a new word and its stem; returns the stem's id.
    mutating func add(word: String, stem: String) -> Int32 {
        let id = id(ofStem: stem)
        byWord[word] = id
        return id
    }

    mutating func clearIfLarge() {
        guard byWord.count > Self.limit else { return }
        terms.removeAll()
        byStem.removeAll()
        byWord.removeAll()
    }
}

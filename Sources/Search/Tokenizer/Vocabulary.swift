/// Interned terms for the indexing and matching paths: each distinct folded word is hashed
/// from its bytes, stemmed once, and mapped to a small integer id shared by every word with
/// the same stem. Counting and comparing terms then works on integers and arrays instead of
/// strings and string-keyed dictionaries.
///
/// Owned by a ``Tokenizer``; ids stay valid until ``clearIfLarge()`` runs, which writers and
/// searches call only before they hand out ids.
struct Vocabulary {
    /// Id → stemmed term.
    private(set) var terms: [String] = []
    /// Id → whether the term is a function word's stem (``StopWords/stems``).
    private(set) var isFunctionWord: [Bool] = []
    private var byStem = WordTable()
    private var byWord = WordTable()

    /// Words remembered before the tables are dropped (bounds memory on endless streams).
    static let limit = 200_000

    var count: Int { terms.count }

    /// Distinct words remembered (each maps to a stem id).
    var wordCount: Int { byWord.count }

    /// The id of an already-folded word, if seen before.
    @inline(__always)
    func id(ofWord word: UnsafeBufferPointer<UInt8>) -> Int32? {
        byWord.id(of: word)
    }

    /// The id of a stemmed term, registering it if new.
    mutating func id(ofStem stem: String) -> Int32 {
        var stem = stem
        return stem.withUTF8 { id(ofStem: $0) }
    }

    /// Records a new word and its stem; returns the stem's id.
    mutating func add(word: UnsafeBufferPointer<UInt8>, stem: UnsafeBufferPointer<UInt8>) -> Int32 {
        let id = id(ofStem: stem)
        byWord.insert(word, id: id)
        return id
    }

    private mutating func id(ofStem stem: UnsafeBufferPointer<UInt8>) -> Int32 {
        if let existing = byStem.id(of: stem) { return existing }
        let id = Int32(terms.count)
        let term = String(decoding: stem, as: UTF8.self)
        terms.append(term)
        isFunctionWord.append(StopWords.stems.contains(term))
        byStem.insert(stem, id: id)
        return id
    }

    mutating func clearIfLarge() {
        guard byWord.count > Self.limit else { return }
        terms.removeAll()
        isFunctionWord.removeAll()
        byStem.removeAll()
        byWord.removeAll()
    }
}

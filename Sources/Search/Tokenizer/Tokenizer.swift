/// Turns text into search terms; the same rules run at indexing and at query time.
///
/// Segmentation works on the UTF-8 bytes and Unicode scalars of the text:
/// - A word is a run of letters and digits of any script (plus the marks of scripts that need
///   them). Everything else separates words: spaces, punctuation, symbols, `-`, `/`, `:`.
/// - Connectors stay inside a word when a word character follows: `_` always (`snake_case`,
///   `x86_64`, `__init__` → `init`); `.` between two digits (`v2.1`, `3.14`, `192.168.0.1`,
///   but `file.txt` → `file`, `txt`); an apostrophe between letters (`don't`, `Debian's`).
/// - A trailing `+`/`++` or `#` stays on a word of one or two letters when nothing word-like
///   follows: `C++`, `g++`, `C#`, `F#` (but `a+b` → `a`, `b`).
/// - Han ideographs and kana are one token each (those scripts put no spaces between words and
///   we ship no dictionary); Hangul words are space-separated and tokenised like Latin. Thai,
///   Lao, Khmer and Myanmar runs become one word each, cut at ``maxTermBytes``.
/// - Case is folded (full Unicode lower-casing plus `ß` → `ss`), diacritics are removed
///   (`Café` → `cafe`, `e` + U+0301 → `e`, `ø` → `o`) and full-width forms narrowed (`Ａ` → `a`).
/// - Words made only of letters `a`–`z` (and apostrophes), of three or more bytes, are stemmed
///   with Snowball's English stemmer (`running` → `run`, `Debian's` → `debian`). Words with
///   digits, `_`, `+` or `#` are identifiers and are kept as written (`x86_64`, `v2.1`, `c++`).
/// - Terms longer than ``maxTermBytes`` bytes are cut at a scalar boundary (they still match
///   themselves, since the query is cut the same way).
///
/// There are no stop words here: the index keeps every word (see the query parser for the
/// small list it drops from queries).
///
/// Speed: the loop works on UTF-8 bytes with an ASCII fast path and no Foundation or regex on
/// the way; non-ASCII scalars are folded once each and cached. The index and search paths go
/// through a ``Vocabulary`` that interns words by their bytes, so a word seen before costs one
/// hash probe and no stemming.
///
/// A tokenizer owns an `sb_stemmer`, which is not thread-safe, a folding cache and that
/// vocabulary; it is therefore not `Sendable`. Create one per task or thread (creation costs a
/// few microseconds); the compiler refuses to share one across concurrent tasks.
public final class Tokenizer {
    /// Longest term in bytes; longer words are cut. Keeps postings keys far below LMDB's limit.
    public static let maxTermBytes = 64

    /// Scanning state, moved out into a local for each call: a class's stored properties pay
    /// a dynamic exclusivity check on every access, which the per-byte loop cannot afford.
    private var scanner: TermScanner?

    /// Creates a tokenizer.
    /// - Parameter stemming: stem plain words with the English Snowball stemmer (the default,
    ///   and what the index expects; turn off only for diagnostics).
    public init(stemming: Bool = true) throws(SearchError) {
        scanner = TermScanner(stemmer: stemming ? try Stemmer(algorithm: "english") : nil)
    }

    /// The tokens of `text`, with positions and byte ranges (for snippets and phrase checks).
    public func tokens(in text: String) -> [Token] {
        var tokens: [Token] = []
        scan(text, stem: true) { term, position, range in
            tokens.append(Token(term: String(decoding: term, as: UTF8.self), position: position, byteRange: range))
        }
        return tokens
    }

    /// Just the terms of `text`, in order.
    public func terms(in text: String) -> [String] {
        var terms: [String] = []
        scan(text, stem: true) { term, _, _ in terms.append(String(decoding: term, as: UTF8.self)) }
        return terms
    }

    /// Stems one folded word exactly as ``scan(_:stem:_:)`` would.
    func stem(_ folded: String) -> String {
        withScanner { $0.stem(folded) }
    }

    /// The hot path: calls `body` with each term's bytes (valid only during the call), its
    /// position and its byte range in `text`. `body` must not use this tokenizer.
    func scan(_ text: String, stem: Bool, _ body: (UnsafeBufferPointer<UInt8>, Int, Range<Int>) -> Void) {
        withScanner { $0.scan(text[...], stem: stem, body) }
    }

    /// Calls `body` with the vocabulary id of each term of `text` (indexing path; see
    /// ``Vocabulary``), in order.
    func scanTermIDs(_ text: String, _ body: (Int32) -> Void) {
        scanTermIDs(text[...], body)
    }

    /// ``scanTermIDs(_:_:)`` over part of a string, without copying it.
    func scanTermIDs(_ text: Substring, _ body: (Int32) -> Void) {
        withScanner { $0.scanTermIDs(text, body) }
    }

    /// ``scanTermIDs(_:_:)`` with each term's function-word flag: a stem of ``StopWords/english``.
    func scanTermIDsMarkingFunctionWords(_ text: Substring, _ body: (Int32, Bool) -> Void) {
        withScanner { $0.scanTermIDsMarkingFunctionWords(text, body) }
    }

    /// The terms of `text` in order as vocabulary ids with byte ranges.
    func occurrences(in text: String) -> [TermOccurrence] {
        withScanner { $0.occurrences(in: text) }
    }

    /// The vocabulary id of a stemmed term (registered if new).
    func termID(ofStem stem: String) -> Int32 {
        withScanner { $0.vocabulary.id(ofStem: stem) }
    }

    /// Whether a vocabulary id is a title's "content" term: neither a function word nor a
    /// number (`20.11` of a numbered section title).
    func isContentTerm(_ id: Int32) -> Bool {
        withScanner { scanner in
            let index = Int(id)
            guard index < scanner.vocabulary.count, !scanner.vocabulary.isFunctionWord[index] else { return false }
            return !scanner.vocabulary.terms[index].utf8.allSatisfy { $0 == UInt8(ascii: ".") || ($0 >= 0x30 && $0 <= 0x39) }
        }
    }

    /// Id → term for every id handed out so far.
    var vocabularyTerms: [String] {
        withScanner { $0.vocabulary.terms }
    }

    /// Distinct words the vocabulary remembers now.
    var vocabularyWords: Int {
        withScanner { $0.vocabulary.wordCount }
    }

    /// Forgets interned terms once there are very many; ids from before become invalid.
    func clearVocabularyIfLarge() {
        withScanner { $0.vocabulary.clearIfLarge() }
    }

    private func withScanner<R>(_ body: (inout TermScanner) -> R) -> R {
        // A call from inside `body` (which the API forbids) gets a plain scanner, not a crash.
        var local = scanner.take() ?? TermScanner(stemmer: nil)
        defer { scanner = local }
        return body(&local)
    }
}

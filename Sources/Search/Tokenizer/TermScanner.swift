/// The tokenizer's scanning loop and its reusable state (see ``Tokenizer`` for the rules).
struct TermScanner {
    private let stemmer: Stemmer?
    private var folding = CaseFolding()
    /// The word being scanned: `wordLength` bytes at `buffer.base` (of which at most
    /// ``WordBuffer/capacity`` are kept).
    private let buffer = WordBuffer()
    private var wordLength = 0
    /// For the stemmer, which works on an array.
    private var stemming: [UInt8] = []
    /// Interned terms for ``scanTermIDs(_:_:)``.
    var vocabulary = Vocabulary()

    init(stemmer: Stemmer?) {
        self.stemmer = stemmer
    }

    /// Stems one folded word.
    mutating func stem(_ folded: String) -> String {
        stemming.removeAll(keepingCapacity: true)
        stemming.append(contentsOf: folded.utf8)
        if let stemmer, Self.isStemmable(stemming) { stemmer.stem(&stemming) }
        return String(decoding: stemming, as: UTF8.self)
    }

    /// The word scanned last; valid until the next scan step.
    private var word: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: buffer.base, count: min(wordLength, WordBuffer.capacity))
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        if wordLength < WordBuffer.capacity { buffer.base[wordLength] = byte }
        wordLength += 1
    }

    private mutating func append(_ bytes: [UInt8]) {
        for byte in bytes { append(byte) }
    }

    /// The indexing path: calls `body` with the vocabulary id of each term, in order.
    mutating func scanTermIDs(_ text: Substring, _ body: (Int32) -> Void) {
        forEachTermID(in: text) { id, _ in body(id) }
    }

    /// Every term of `text` in order, as vocabulary ids with byte ranges: what snippets and
    /// phrase checks need.
    mutating func occurrences(in text: String) -> [TermOccurrence] {
        var found: [TermOccurrence] = []
        forEachTermID(in: text[...]) { id, range in found.append(TermOccurrence(id: id, byteRange: range)) }
        return found
    }

    /// Scans folded words and maps each to its vocabulary id: one hash probe on the word's
    /// bytes, stemming only words never seen before.
    private mutating func forEachTermID(in text: Substring, _ body: (Int32, Range<Int>) -> Void) {
        // Moved out so the scan closure can use them while `self` is busy scanning.
        var vocabulary = self.vocabulary
        self.vocabulary = Vocabulary()
        let stemmer = self.stemmer
        var scratch: [UInt8] = []
        scan(text, stem: false) { bytes, _, range in
            if let id = vocabulary.id(ofWord: bytes) {
                body(id, range)
                return
            }
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: bytes)
            if let stemmer, Self.isStemmable(scratch) { stemmer.stem(&scratch) }
            body(scratch.withUnsafeBufferPointer { vocabulary.add(word: bytes, stem: $0) }, range)
        }
        self.vocabulary = vocabulary
    }

    /// The hot path: calls `body` with each term's bytes (valid only during the call), its
    /// position and its byte range in `text` (from its start).
    mutating func scan(
        _ text: Substring,
        stem: Bool,
        _ body: (UnsafeBufferPointer<UInt8>, Int, Range<Int>) -> Void
    ) {
        var text = text
        text.withUTF8 { bytes in
            var index = 0
            var position = 0
            while index < bytes.count {
                let (value, length) = UTF8Decoding.scalar(in: bytes, at: index)
                switch ScalarKind.of(value) {
                case .word:
                    let end = scanWord(bytes, from: index, stem: stem)
                    body(word, position, index..<end)
                    position += 1
                    index = end
                case .ideograph:
                    wordLength = 0
                    append(folding.folded(value))
                    body(word, position, index..<(index + length))
                    position += 1
                    index += length
                case .separator, .diacritic:
                    index += length
                }
            }
        }
    }

    /// Reads one word starting at `start` into `word` (folded, cut, stemmed) and returns the
    /// offset just past it.
    private mutating func scanWord(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, stem: Bool) -> Int {
        wordLength = 0
        var index = start
        var end = start
        var previous: UInt32 = 0
        while index < bytes.count {
            let (value, length) = UTF8Decoding.scalar(in: bytes, at: index)
            let kind = ScalarKind.of(value)
            if kind == .word {
                appendFolded(value)
                previous = value
                index += length
                end = index
                continue
            }
            if kind == .diacritic {
                index += length
                end = index
                continue
            }
            if index + length < bytes.count, joins(value, after: previous, before: bytes, at: index + length) {
                append(value == 0x2019 ? UInt8(ascii: "'") : UInt8(truncatingIfNeeded: value))
                previous = value
                index += length
                continue
            }
            if let suffixEnd = languageSuffix(bytes, at: index) {
                end = suffixEnd
            }
            break
        }
        cutToLimit()
        // Identifiers (digits, `_`, `.`, `+`, `#`) fail `isStemmable` and are kept as written.
        if stem, let stemmer, Self.isStemmable(word) {
            stemming.removeAll(keepingCapacity: true)
            stemming.append(contentsOf: word)
            stemmer.stem(&stemming)
            wordLength = 0
            append(stemming)
        }
        return end
    }

    /// Whether connector `value` (between `previous` and the scalar at `next`) stays in the word.
    @inline(__always)
    private func joins(_ value: UInt32, after previous: UInt32, before bytes: UnsafeBufferPointer<UInt8>, at next: Int) -> Bool {
        let following = UTF8Decoding.scalar(in: bytes, at: next).value
        guard ScalarKind.of(following) == .word else { return false }
        switch value {
        case 0x5F:  // _
            return true
        case 0x2E:  // . between digits
            return Self.isDigit(previous) && Self.isDigit(following)
        case 0x27, 0x2019:  // ' or ’ between letters
            return Self.isLetter(previous) && Self.isLetter(following)
        default:
            return false
        }
    }

    /// For `C++`, `g++`, `C#`: the end of a `+`/`++`/`#` suffix at `index`, when the word so
    /// far is one or two ASCII letters and no word character follows the suffix.
    private mutating func languageSuffix(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        guard wordLength <= 2, word.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else {
            return nil
        }
        var end = index
        if bytes[end] == UInt8(ascii: "#") {
            end += 1
        } else {
            while end < bytes.count, end - index < 2, bytes[end] == UInt8(ascii: "+") { end += 1 }
        }
        guard end > index else { return nil }
        if end < bytes.count, ScalarKind.of(UTF8Decoding.scalar(in: bytes, at: end).value) == .word { return nil }
        for byte in bytes[index..<end] { append(byte) }
        return end
    }

    @inline(__always)
    private mutating func appendFolded(_ value: UInt32) {
        if value < 0x80 {
            let byte = UInt8(truncatingIfNeeded: value)
            append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
        } else {
            append(folding.folded(value))
        }
    }

    /// Cuts the word to ``maxTermBytes`` without splitting a UTF-8 sequence.
    private mutating func cutToLimit() {
        guard wordLength > Tokenizer.maxTermBytes else { return }
        var cut = Tokenizer.maxTermBytes
        while cut > 0, buffer.base[cut] & 0xC0 == 0x80 { cut -= 1 }
        wordLength = cut
    }

    private static func isStemmable<C: Collection<UInt8>>(_ word: C) -> Bool {
        word.count >= 3 && word.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "'") }
    }

    @inline(__always)
    private static func isDigit(_ value: UInt32) -> Bool {
        value >= 0x30 && value <= 0x39
    }

    @inline(__always)
    private static func isLetter(_ value: UInt32) -> Bool {
        !isDigit(value) && ScalarKind.of(value) == .word
    }
}

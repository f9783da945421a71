/// The tokenizer's scanning loop and its reusable state (see ``Tokenizer`` for the rules).
struct TermScanner {
    private let stemmer: Stemmer?
    private var folding = CaseFolding()
    private var word: [UInt8] = []
    /// Interned terms for ``scanTermIDs(_:_:)``.
    var vocabulary = Vocabulary()

    init(stemmer: Stemmer?) {
        self.stemmer = stemmer
        word.reserveCapacity(Tokenizer.maxTermBytes * 2)
    }

    /// Stems one folded word.
    mutating func stem(_ folded: String) -> String {
        word.removeAll(keepingCapacity: true)
        word.append(contentsOf: folded.utf8)
        if let stemmer, Self.isStemmable(word) { stemmer.stem(&word) }
        return String(decoding: word, as: UTF8.self)
    }

    /// The indexing path: calls `body` with the vocabulary id of each term, in order.
    mutating func scanTermIDs(_ text: String, _ body: (Int32) -> Void) {
        forEachTermID(in: text) { id, _ in body(id) }
    }

    /// Every term of `text` in order, as vocabulary ids with byte ranges: what snippets and
    /// phrase checks need.
    mutating func occurrences(in text: String) -> [TermOccurrence] {
        var found: [TermOccurrence] = []
        forEachTermID(in: text) { id, range in found.append(TermOccurrence(id: id, byteRange: range)) }
        return found
    }

    /// Scans folded words and maps each to its vocabulary id: one hash probe on the word's
    /// bytes, stemming only words never seen before.
    private mutating func forEachTermID(in text: String, _ body: (Int32, Range<Int>) -> Void) {
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
            body(vocabulary.add(word: bytes, stem: String(decoding: scratch, as: UTF8.self)), range)
        }
        self.vocabulary = vocabulary
    }

    /// The hot path: calls `body` with each term's bytes (valid only during the call), its
    /// position and its byte range in `text`.
    mutating func scan(
        _ text: String,
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
                    word.withUnsafeBufferPointer { body($0, position, index..<end) }
                    position += 1
                    index = end
                case .ideograph:
                    word.removeAll(keepingCapacity: true)
                    folding.append(value, to: &word)
                    word.withUnsafeBufferPointer { body($0, position, index..<(index + length)) }
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
        word.removeAll(keepingCapacity: true)
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
                word.append(value == 0x2019 ? UInt8(ascii: "'") : UInt8(truncatingIfNeeded: value))
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
            stemmer.stem(&word)
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
        guard word.count <= 2, word.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else {
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
        word.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
        return end
    }

    @inline(__always)
    private mutating func appendFolded(_ value: UInt32) {
        if value < 0x80 {
            let byte = UInt8(truncatingIfNeeded: value)
            word.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
        } else {
            folding.append(value, to: &word)
        }
    }

    /// Cuts `word` to ``maxTermBytes`` without splitting a UTF-8 sequence.
    private mutating func cutToLimit() {
        guard word.count > Tokenizer.maxTermBytes else { return }
        var cut = Tokenizer.maxTermBytes
        while cut > 0, word[cut] & 0xC0 == 0x80 { cut -= 1 }
        word.removeSubrange(cut...)
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

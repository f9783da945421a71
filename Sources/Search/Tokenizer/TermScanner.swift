/// The tokenizer's scanning loop and its reusable state (see ``Tokenizer`` for the rules).
struct TermScanner {
    private let stemmer: Stemmer?
    private var folding = CaseFolding()
    private var kinds = ScalarKindCache()
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
        forEachTermID(in: text) { id, _, _ in body(id) }
    }

    /// ``scanTermIDs(_:_:)`` telling each term's function-word flag (``Vocabulary/isFunctionWord``).
    mutating func scanTermIDsMarkingFunctionWords(_ text: Substring, _ body: (Int32, Bool) -> Void) {
        forEachTermID(in: text) { id, _, function in body(id, function) }
    }

    /// Every term of `text` in order, as vocabulary ids with byte ranges: what snippets and
    /// phrase checks need.
    mutating func occurrences(in text: String) -> [TermOccurrence] {
        var found: [TermOccurrence] = []
        forEachTermID(in: text[...]) { id, range, _ in found.append(TermOccurrence(id: id, byteRange: range)) }
        return found
    }

    /// Scans folded words and maps each to its vocabulary id: one hash probe on the word's
    /// bytes, stemming only words never seen before. Words of plain ASCII (nearly all of them)
    /// take the tight loop of ``scanASCIIWord(_:from:)``; the rest, and anything it is unsure
    /// of, go through ``scanWord(_:from:stem:)`` as in ``scan(_:stem:_:)``.
    private mutating func forEachTermID(in text: Substring, _ body: (Int32, Range<Int>, Bool) -> Void) {
        // Moved out so the loop below can use them while `self` is busy scanning.
        var vocabulary = self.vocabulary
        self.vocabulary = Vocabulary()
        var scratch: [UInt8] = []
        var text = text
        text.withUTF8 { bytes in
            var index = 0
            while index < bytes.count {
                let lead = bytes[index]
                if lead < 0x80 {
                    guard Self.isASCIIWordByte(lead) else {
                        index += 1
                        continue
                    }
                    if let end = scanASCIIWord(bytes, from: index) {
                        let id = vocabulary.id(ofWord: word)
                            ?? Self.intern(word, stemmer: stemmer, vocabulary: &vocabulary, scratch: &scratch)
                        body(id, index..<end, vocabulary.isFunctionWord[Int(id)])
                        index = end
                        continue
                    }
                }
                let (value, length) = UTF8Decoding.scalar(in: bytes, at: index)
                let end: Int
                switch kinds.kind(of: value) {
                case .word:
                    end = scanWord(bytes, from: index, stem: false)
                case .ideograph:
                    wordLength = 0
                    append(folding.folded(value))
                    end = index + length
                case .separator, .diacritic:
                    index += length
                    continue
                }
                let id = vocabulary.id(ofWord: word)
                    ?? Self.intern(word, stemmer: stemmer, vocabulary: &vocabulary, scratch: &scratch)
                body(id, index..<end, vocabulary.isFunctionWord[Int(id)])
                index = end
            }
        }
        self.vocabulary = vocabulary
    }

    /// Stems a word the vocabulary has not seen and registers it.
    @inline(never)
    private static func intern(
        _ word: UnsafeBufferPointer<UInt8>, stemmer: Stemmer?, vocabulary: inout Vocabulary, scratch: inout [UInt8]
    ) -> Int32 {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: word)
        if let stemmer, isStemmable(scratch) { stemmer.stem(&scratch) }
        return scratch.withUnsafeBufferPointer { vocabulary.add(word: word, stem: $0) }
    }

    /// ``scanWord(_:from:stem:)`` (unstemmed) for a word that starts with an ASCII letter or
    /// digit, in one tight pass: returns the end of the word (left in `word`), or nil when a
    /// non-ASCII byte or a `+`/`#` suffix needs the general rules (the caller then scans the
    /// word again with those).
    @inline(__always)
    private mutating func scanASCIIWord(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let base = buffer.base
        var length = 0
        var index = start
        var end = start
        var previous: UInt8 = 0
        while index < bytes.count {
            var byte = bytes[index]
            if Self.isASCIIWordByte(byte) {
                end = index + 1
            } else if byte >= 0x80 {
                return nil
            } else {
                // `joins` and `languageSuffix` with ASCII on both sides.
                if (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "#")) && length <= 2 { return nil }
                guard byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "'"),
                      index + 1 < bytes.count else { break }
                let next = bytes[index + 1]
                if next >= 0x80 { return nil }
                let joins: Bool
                switch byte {
                case UInt8(ascii: "_"): joins = Self.isASCIIWordByte(next)
                case UInt8(ascii: "."): joins = Self.isASCIIDigit(previous) && Self.isASCIIDigit(next)
                default: joins = Self.isASCIILetter(previous) && Self.isASCIILetter(next)
                }
                guard joins else { break }
            }
            previous = byte
            if byte &- UInt8(ascii: "A") < 26 { byte |= 0x20 }
            // Terms are cut at `maxTermBytes`; ASCII has no scalar to keep whole.
            if length < Tokenizer.maxTermBytes {
                base[length] = byte
                length += 1
            }
            index += 1
        }
        wordLength = length
        return end
    }

    @inline(__always)
    private static func isASCIIWordByte(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10 || (byte | 0x20) &- UInt8(ascii: "a") < 26
    }

    @inline(__always)
    private static func isASCIIDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    @inline(__always)
    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26
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
            let kind = kinds.kind(of: value)
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

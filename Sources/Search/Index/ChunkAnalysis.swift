import Content

/// A chunk's terms counted per field, ready to become postings. Terms are vocabulary ids of
/// the tokenizer that analysed the chunk (see ``Vocabulary``).
struct ChunkAnalysis {
    /// Each distinct term with its field frequencies as a posting stores them (``FieldFrequencies/packed``).
    var terms: [(id: Int32, frequencies: UInt16)]
    var titleLength: Int
    var headingLength: Int
    var bodyLength: Int

    /// Terms of a field several chunks share (the page title, a heading path), counted once.
    struct FieldTerms {
        var counts: [(id: Int32, count: Int)]
        var length: Int

        init(_ texts: [String], tokenizer: Tokenizer) {
            // A title or heading path has a handful of terms: sorting them beats hashing.
            var ids: [Int32] = []
            for text in texts {
                tokenizer.scanTermIDs(text) { ids.append($0) }
            }
            ids.sort()
            var counts: [(id: Int32, count: Int)] = []
            for id in ids {
                if counts.last?.id == id { counts[counts.count - 1].count += 1 } else { counts.append((id, 1)) }
            }
            self.counts = counts
            length = ids.count
        }
    }

    /// Per-id counters reused across chunks: only the touched slots are visited and reset.
    /// A slot packs the three counts in 32 bits, saturating well above what a posting keeps
    /// (see ``FieldFrequencies``), so the table indexed by vocabulary id stays cache-friendly.
    struct Counter {
        /// Where a field's count sits in a slot.
        enum Field: UInt32 {
            case title = 24
            case heading = 16
            case body = 0

            var mask: UInt32 { self == .body ? 0xFFFF : 0xFF }
        }

        private var slots: [UInt32] = []
        private var touched: [Int32] = []

        @inline(__always)
        mutating func add(_ id: Int32, _ field: Field, count: Int = 1) {
            let index = Int(id)
            if index >= slots.count {
                slots.append(contentsOf: repeatElement(0, count: max(index + 1 - slots.count, slots.count)))
            }
            let slot = slots[index]
            if slot == 0 { touched.append(id) }
            let shift = field.rawValue
            let updated = min((slot >> shift & field.mask) + UInt32(clamping: count), field.mask)
            slots[index] = slot & ~(field.mask << shift) | updated << shift
        }

        /// The counts so far, leaving the counter empty.
        mutating func drain() -> [(id: Int32, frequencies: UInt16)] {
            defer { touched.removeAll(keepingCapacity: true) }
            return touched.map { id in
                let slot = slots[Int(id)]
                slots[Int(id)] = 0
                let frequencies = FieldFrequencies(title: Int(slot >> Field.title.rawValue & Field.title.mask),
                                                   heading: Int(slot >> Field.heading.rawValue & Field.heading.mask),
                                                   body: Int(slot & Field.body.mask))
                return (id, frequencies.packed)
            }
        }
    }

    /// Counts `chunk`, whose page title and heading path were counted by the caller (they
    /// repeat from chunk to chunk).
    init(chunk: Chunk, title: FieldTerms, headings: FieldTerms, tokenizer: Tokenizer, counter: inout Counter) {
        self.init(text: chunk.text, headingPath: chunk.headingPath, title: title, headings: headings, tokenizer: tokenizer,
                  counter: &counter)
    }

    /// Counts a stored chunk again, exactly as ``SearchIndex/prepare(_:tokenizer:)`` counted it
    /// when it was indexed: the postings it added are derived from its record, not stored.
    init(stored chunk: StoredChunk, tokenizer: Tokenizer, counter: inout Counter) {
        self.init(text: chunk.text, headingPath: chunk.headingPath, title: FieldTerms([chunk.title], tokenizer: tokenizer),
                  headings: FieldTerms(chunk.headingPath, tokenizer: tokenizer), tokenizer: tokenizer, counter: &counter)
    }

    private init(
        text: String, headingPath: [String], title: FieldTerms, headings: FieldTerms, tokenizer: Tokenizer,
        counter: inout Counter
    ) {
        for (id, count) in title.counts {
            counter.add(id, .title, count: count)
        }
        for (id, count) in headings.counts {
            counter.add(id, .heading, count: count)
        }
        // Function words are counted as terms but not in the length: length normalisation
        // should not favour a bare list of names over the sentence that explains one.
        var bodyLength = 0
        let body = Self.body(of: text, headingPath: headingPath)
        tokenizer.scanTermIDsMarkingFunctionWords(body) { id, function in
            counter.add(id, .body)
            if !function { bodyLength += 1 }
        }
        Self.forEachDefinition(in: body) { name in
            tokenizer.scanTermIDs(name) { id in counter.add(id, .heading) }
        }
        terms = counter.drain()
        self.titleLength = title.length
        self.headingLength = headings.length
        self.bodyLength = bodyLength
    }

    /// The chunk text without the `## Heading` line the chunker puts at the start of a
    /// section's first chunk: the heading is its own field, and counting it twice would let a
    /// heading match outweigh a title match.
    static func body(of text: String, headingPath: [String]) -> Substring {
        guard let heading = headingPath.last, text.utf8.first == UInt8(ascii: "#") else { return text[...] }
        if let end = asciiHeadingLineEnd(of: text, heading: heading) {
            return end < 0 ? text[...] : text[text.utf8.index(text.utf8.startIndex, offsetBy: end)...]
        }
        let firstLine = text.prefix { $0 != "\n" }
        guard firstLine.drop(while: { $0 == "#" }).dropFirst() == heading[...] else { return text[...] }
        return text[firstLine.endIndex...]
    }

    /// ``body(of:headingPath:)`` by bytes when the first line and the heading are ASCII (then
    /// Character and byte comparisons agree): the UTF-8 offset where the first line ends when it
    /// is `#…# heading`, -1 when it is not; nil when the bytes cannot decide.
    private static func asciiHeadingLineEnd(of text: String, heading: String) -> Int? {
        var text = text
        var heading = heading
        return text.withUTF8 { bytes -> Int? in
            heading.withUTF8 { headingBytes -> Int? in
                var end = 0
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") {
                    guard bytes[end] < 0x80, bytes[end] != UInt8(ascii: "\r") else { return nil }
                    end += 1
                }
                guard headingBytes.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }) else { return nil }
                var start = 0
                while start < end, bytes[start] == UInt8(ascii: "#") { start += 1 }
                start = min(start + 1, end)  // the one character after the hashes
                guard end - start == headingBytes.count,
                      zip(bytes[start..<end], headingBytes).allSatisfy({ $0 == $1 }) else { return -1 }
                return end
            }
        }
    }

    /// The names a chunk defines: the first code span of a line that opens with one, as a
    /// definition list's term or a reference table's first cell does (`` `work_mem` (`integer`) ``,
    /// `` | `sign` ( `numeric` ) → `numeric` ``). Their terms count once more in the heading field
    /// (its length unchanged): the paragraph that defines a name outranks the many that mention it.
    static func forEachDefinition(in body: Substring, _ name: (Substring) -> Void) {
        // Over the contiguous bytes, then back to indices of `body` for the names found.
        var spans: [Range<Int>] = []
        var text = body
        text.withUTF8 { bytes in
            let backtick = UInt8(ascii: "`")
            var lineStart = true
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\n") {
                    lineStart = true
                    index += 1
                    continue
                }
                guard lineStart else {
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "|") {
                    index += 1
                    continue
                }
                lineStart = false
                guard byte == backtick else { continue }
                let open = index + 1
                guard open < bytes.count, bytes[open] != backtick else { continue }
                var close = open
                while close < bytes.count, bytes[close] != backtick, bytes[close] != UInt8(ascii: "\n") { close += 1 }
                guard close < bytes.count, bytes[close] == backtick else { continue }
                spans.append(open..<close)
                index = close
            }
        }
        let utf8 = body.utf8
        for span in spans {
            let start = utf8.index(utf8.startIndex, offsetBy: span.lowerBound)
            name(body[start..<utf8.index(start, offsetBy: span.count)])
        }
    }

    /// Whether this analysis of a stored chunk yields the field lengths the chunk was indexed
    /// with: if not, its postings cannot be derived again from its text.
    func hasFieldLengths(of chunk: StoredChunk) -> Bool {
        titleLength == chunk.titleLength && headingLength == chunk.headingLength && bodyLength == chunk.bodyLength
    }

    /// The postings this analysis stands for, as (vocabulary id, stored value) for `chunkID`.
    func postings(chunkID: UInt64) -> [(id: Int32, entry: PostingEntry)] {
        let lengthCode = LengthCode.encode(bodyLength)
        return terms.map { id, frequencies in
            (id, PostingEntry(chunkID: chunkID, payload: PostingEntry.payload(lengthCode: lengthCode, frequencies: frequencies)))
        }
    }
}

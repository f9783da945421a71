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
        tokenizer.scanTermIDsMarkingFunctionWords(Self.body(of: text, headingPath: headingPath)) { id, function in
            counter.add(id, .body)
            if !function { bodyLength += 1 }
        }
        Self.forEachDefinition(in: Self.body(of: text, headingPath: headingPath)) { name in
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
        let firstLine = text.prefix { $0 != "\n" }
        guard firstLine.drop(while: { $0 == "#" }).dropFirst() == heading[...] else { return text[...] }
        return text[firstLine.endIndex...]
    }

    /// The names a chunk defines: the first code span of a line that opens with one, as a
    /// definition list's term or a reference table's first cell does (`` `work_mem` (`integer`) ``,
    /// `` | `sign` ( `numeric` ) → `numeric` ``). Their terms count once more in the heading field
    /// (its length unchanged): the paragraph that defines a name outranks the many that mention it.
    static func forEachDefinition(in body: Substring, _ name: (Substring) -> Void) {
        let backtick = UInt8(ascii: "`")
        var lineStart = true
        var index = body.utf8.startIndex
        let end = body.utf8.endIndex
        while index < end {
            let byte = body.utf8[index]
            if byte == UInt8(ascii: "\n") {
                lineStart = true
                index = body.utf8.index(after: index)
                continue
            }
            guard lineStart else {
                index = body.utf8.index(after: index)
                continue
            }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "|") {
                index = body.utf8.index(after: index)
                continue
            }
            lineStart = false
            guard byte == backtick else { continue }
            let open = body.utf8.index(after: index)
            guard open < end, body.utf8[open] != backtick,
                  let close = body.utf8[open...].firstIndex(where: { $0 == backtick || $0 == UInt8(ascii: "\n") }),
                  body.utf8[close] == backtick else { continue }
            name(body[open..<close])
            index = close
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

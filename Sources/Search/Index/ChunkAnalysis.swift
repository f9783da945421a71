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
            var counts: [Int32: Int] = [:]
            var length = 0
            for text in texts {
                tokenizer.scanTermIDs(text) { id in
                    counts[id, default: 0] += 1
                    length += 1
                }
            }
            self.counts = counts.map { ($0.key, $0.value) }
            self.length = length
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
        for (id, count) in title.counts {
            counter.add(id, .title, count: count)
        }
        for (id, count) in headings.counts {
            counter.add(id, .heading, count: count)
        }
        var bodyLength = 0
        tokenizer.scanTermIDs(Self.body(of: chunk)) { id in
            counter.add(id, .body)
            bodyLength += 1
        }
        terms = counter.drain()
        self.titleLength = title.length
        self.headingLength = headings.length
        self.bodyLength = bodyLength
    }

    /// The chunk text without the `## Heading` line the chunker puts at the start of a
    /// section's first chunk: the heading is its own field, and counting it twice would let a
    /// heading match outweigh a title match.
    static func body(of chunk: Chunk) -> Substring {
        guard let heading = chunk.headingPath.last, chunk.text.utf8.first == UInt8(ascii: "#") else { return chunk.text[...] }
        let firstLine = chunk.text.prefix { $0 != "\n" }
        guard firstLine.drop(while: { $0 == "#" }).dropFirst() == heading[...] else { return chunk.text[...] }
        return chunk.text[firstLine.endIndex...]
    }
}

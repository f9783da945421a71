import Content

/// A chunk's terms counted per field, ready to become postings. Terms are vocabulary ids of
/// the tokenizer that analysed the chunk (see ``Vocabulary``).
struct ChunkAnalysis {
    var terms: [(id: Int32, frequencies: FieldFrequencies)]
    var titleLength: Int
    var headingLength: Int
    var bodyLength: Int

    /// The title is shared by every chunk of a page, so it is counted once per page.
    struct TitleTerms {
        var counts: [(id: Int32, count: Int)]
        var length: Int

        init(title: String, tokenizer: Tokenizer) {
            var counts: [Int32: Int] = [:]
            length = 0
            tokenizer.scanTermIDs(title) { id in counts[id, default: 0] += 1 }
            self.counts = counts.map { ($0.key, $0.value) }
            length = self.counts.reduce(0) { $0 + $1.count }
        }
    }

    /// Per-id counters reused across chunks: only the touched slots are visited and reset.
    struct Counter {
        private var slots: [FieldFrequencies] = []
        private var touched: [Int32] = []

        @inline(__always)
        mutating func add(_ id: Int32, _ update: (inout FieldFrequencies) -> Void) {
            let index = Int(id)
            if index >= slots.count {
                slots.append(contentsOf: repeatElement(FieldFrequencies(), count: max(index + 1 - slots.count, slots.count)))
            }
            if slots[index].isZero { touched.append(id) }
            update(&slots[index])
        }

        /// The counts so far, leaving the counter empty.
        mutating func drain() -> [(id: Int32, frequencies: FieldFrequencies)] {
            defer { touched.removeAll(keepingCapacity: true) }
            return touched.map { id in
                defer { slots[Int(id)] = FieldFrequencies() }
                return (id, slots[Int(id)])
            }
        }
    }

    init(chunk: Chunk, title: TitleTerms, tokenizer: Tokenizer, counter: inout Counter) {
        for (id, count) in title.counts {
            counter.add(id) { $0.title += count }
        }
        var headingLength = 0
        for heading in chunk.headingPath {
            tokenizer.scanTermIDs(heading) { id in
                counter.add(id) { $0.heading += 1 }
                headingLength += 1
            }
        }
        var bodyLength = 0
        tokenizer.scanTermIDs(Self.body(of: chunk)) { id in
            counter.add(id) { $0.body += 1 }
            bodyLength += 1
        }
        terms = counter.drain()
        self.titleLength = title.length
        self.headingLength = headingLength
        self.bodyLength = bodyLength
    }

    /// The chunk text without the `## Heading` line the chunker puts at the start of a
    /// section's first chunk: the heading is its own field, and counting it twice would let a
    /// heading match outweigh a title match.
    static func body(of chunk: Chunk) -> String {
        guard let heading = chunk.headingPath.last, chunk.text.utf8.first == UInt8(ascii: "#") else { return chunk.text }
        let firstLine = chunk.text.prefix { $0 != "\n" }
        guard firstLine.drop(while: { $0 == "#" }).dropFirst() == heading[...] else { return chunk.text }
        return String(chunk.text[firstLine.endIndex...])
    }
}

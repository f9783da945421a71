import Content

/// A chunk's terms counted per field, ready to become postings.
struct ChunkAnalysis {
    var frequencies: [String: FieldFrequencies]
    var titleLength: Int
    var headingLength: Int
    var bodyLength: Int

    /// The title is shared by every chunk of a page, so it is counted once per page.
    struct TitleTerms {
        var counts: [String: Int]
        var length: Int

        init(title: String, tokenizer: Tokenizer) {
            counts = [:]
            length = 0
            tokenizer.scan(title, stem: true) { term, _, _ in
                counts[String(decoding: term, as: UTF8.self), default: 0] += 1
                length += 1
            }
        }
    }

    init(chunk: Chunk, title: TitleTerms, tokenizer: Tokenizer) {
        var frequencies: [String: FieldFrequencies] = [:]
        frequencies.reserveCapacity(chunk.wordCount / 2 + title.counts.count + 8)
        for (term, count) in title.counts {
            frequencies[term] = FieldFrequencies(title: count)
        }
        var headingLength = 0
        for heading in chunk.headingPath {
            tokenizer.scan(heading, stem: true) { term, _, _ in
                frequencies[String(decoding: term, as: UTF8.self), default: FieldFrequencies()].heading += 1
                headingLength += 1
            }
        }
        var bodyLength = 0
        tokenizer.scan(Self.body(of: chunk), stem: true) { term, _, _ in
            frequencies[String(decoding: term, as: UTF8.self), default: FieldFrequencies()].body += 1
            bodyLength += 1
        }
        self.frequencies = frequencies
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

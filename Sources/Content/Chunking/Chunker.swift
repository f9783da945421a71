/// Cuts a ``Document`` into section-aware chunks.
///
/// - Chunks never span two sections; each carries its section's heading path and anchor.
/// - A section's Markdown lines are packed greedily up to ``ChunkingOptions/targetWords``.
///   Cuts fall between lines; a code block or table that fits in one chunk is moved whole to
///   the next chunk rather than cut; a code block that does not fit is cut between lines and its fences
///   are closed and re-opened; a table cut across chunks repeats its header. Paragraphs longer
///   than a quarter of the target are cut at sentence ends (or between words) so that overlap
///   and packing have fine-grained pieces.
/// - The next chunk of the same section starts with the trailing lines or sentences of the
///   previous one, up to ``ChunkingOptions/overlapWords``.
/// - A page with no content yields a single chunk holding its title, or no chunk when the title
///   is empty too.
///
/// Output depends only on the document and the options.
public struct Chunker: Sendable {
    /// The sizes in use.
    public var options: ChunkingOptions

    /// Creates a chunker.
    public init(options: ChunkingOptions = ChunkingOptions()) {
        self.options = options
    }

    /// The chunks of `document`, in page order, labelled with `pageID`.
    public func chunks(of document: Document, pageID: String) -> [Chunk] {
        chunks(of: RenderedDocument(document), pageID: pageID)
    }

    /// The chunks of a document rendered already (its renderings shared with other readers).
    public func chunks(of rendered: RenderedDocument, pageID: String) -> [Chunk] {
        let document = rendered.document
        var chunks: [Chunk] = []
        for (index, section) in document.sections.enumerated() {
            let pieces = ChunkPiece.pieces(
                of: rendered.lines[index], maxProseWords: max(8, options.targetWords / 4),
                maxLineWords: options.targetWords)
            for (text, words) in pack(pieces) {
                chunks.append(Chunk(
                    pageID: pageID, ordinal: chunks.count, sectionIndex: index, headingPath: section.headingPath,
                    anchor: section.anchor, text: text, wordCount: words))
            }
        }
        let title = document.title.trimmingSpaces
        if chunks.isEmpty, !title.isEmpty {
            chunks.append(Chunk(pageID: pageID, ordinal: 0, sectionIndex: nil, headingPath: [], anchor: "",
                                text: title, wordCount: ChunkPiece.wordCount(title)))
        }
        return chunks
    }

    /// Greedy packing of one section's pieces into chunk texts, with their word counts.
    private func pack(_ pieces: [ChunkPiece]) -> [(text: String, words: Int)] {
        let target = options.targetWords
        var texts: [(text: String, words: Int)] = []
        var start = 0
        var previousEnd = 0
        while start < pieces.count {
            // The chunk must reach past what the previous chunk covered, so every chunk adds
            // new content and the loop advances.
            let mustReach = max(previousEnd, start) + 1
            var end = start
            var words = 0
            while end < pieces.count {
                let piece = pieces[end]
                if end >= mustReach {
                    if words + piece.words > target { break }
                    if let groupWords = piece.groupWords, groupWords <= target, words + groupWords > target { break }
                }
                words += piece.words
                end += 1
            }
            if let text = ChunkPiece.text(of: pieces[start..<end]) { texts.append(text) }
            guard end < pieces.count else { break }
            previousEnd = end
            start = overlapStart(pieces, chunkStart: start, chunkEnd: end)
        }
        return texts
    }

    /// Where the next chunk starts: far enough back to repeat up to `overlapWords` words.
    private func overlapStart(_ pieces: [ChunkPiece], chunkStart: Int, chunkEnd: Int) -> Int {
        var next = chunkEnd
        var words = 0
        while next - 1 > chunkStart, words + pieces[next - 1].words <= options.overlapWords {
            words += pieces[next - 1].words
            next -= 1
        }
        // Never start on a blank line or a closing fence: they carry nothing on their own.
        while next < chunkEnd, pieces[next].role == .blank || pieces[next].role == .fenceClose { next += 1 }
        return words == 0 ? chunkEnd : next
    }
}

/// A passage of a page, sized for retrieval and citation.
public struct Chunk: Sendable, Equatable {
    /// The Confluence page id the chunk belongs to.
    public var pageID: String
    /// Position of the chunk in its page, from 0.
    public var ordinal: Int
    /// Index of the chunk's section in ``Document/sections``; nil for a title-only chunk.
    public var sectionIndex: Int?
    /// Headings from the outermost down to the chunk's section, e.g. `["Install", "Debian"]`.
    public var headingPath: [String]
    /// The section's heading anchor (empty for the lead section): cite as `pageURL#anchor`.
    public var anchor: String
    /// The chunk's Markdown text. The first chunk of a section starts with its heading line.
    public var text: String
    /// Whitespace-separated words in ``text``.
    public var wordCount: Int

    /// Creates a chunk.
    public init(pageID: String, ordinal: Int, sectionIndex: Int?, headingPath: [String], anchor: String,
                text: String, wordCount: Int) {
        self.pageID = pageID
        self.ordinal = ordinal
        self.sectionIndex = sectionIndex
        self.headingPath = headingPath
        self.anchor = anchor
        self.text = text
        self.wordCount = wordCount
    }
}

/// How big chunks are and how much consecutive chunks share. Sizes are in words
/// (whitespace-separated tokens of the Markdown text), which track LLM tokens at roughly 1:1.3.
public struct ChunkingOptions: Sendable, Equatable {
    /// Words a chunk aims for; a chunk exceeds it only when a single line (a code line, a table
    /// row) is longer, or by the fence and header lines repeated for context. Default 400.
    public var targetWords: Int
    /// Words from the end of a chunk repeated at the start of the next one in the same section,
    /// in whole lines or sentences. Default 50; at most half of `targetWords`.
    public var overlapWords: Int

    /// Creates options; values are clamped to `targetWords ≥ 16` and
    /// `0 ≤ overlapWords ≤ targetWords / 2`.
    public init(targetWords: Int = 400, overlapWords: Int = 50) {
        self.targetWords = max(16, targetWords)
        self.overlapWords = min(max(0, overlapWords), self.targetWords / 2)
    }
}

import Content
import Storage

/// A page's whole Markdown with its heading outline, as the index keeps it beside the chunks.
///
/// Chunks overlap and repeat context lines, so a page cannot be put back together from them:
/// readers of whole pages (and of one section, or a long page in parts) get this instead.
/// Offsets and lengths count Unicode scalars of ``markdown``.
public struct PageText: Sendable, Equatable, StorageRecord {
    /// What ``MarkdownRenderer/render(_:)`` makes of the whole document: `# Title`, then every
    /// section under its heading.
    public var markdown: String
    /// Every heading in page order.
    public var outline: [OutlineHeading]

    public init(markdown: String, outline: [OutlineHeading]) {
        self.markdown = markdown
        self.outline = outline
    }

    /// Renders `document` and records where each section starts. The text is exactly
    /// ``MarkdownRenderer/render(_:)`` of the document: the title line and the sections' own
    /// renderings, one blank line between each, ending with a newline.
    public init(document: Document) {
        self.init(rendered: RenderedDocument(document))
    }

    /// The same from a document rendered already (shared with the chunker: rendered once).
    public init(rendered: RenderedDocument) {
        let document = rendered.document
        let sectionMarkdown = rendered.sectionMarkdown
        var parts: [String] = []
        var length = 0
        func append(_ part: String) -> Int {
            if !parts.isEmpty { length += 2 }  // the blank line between parts
            let start = length
            parts.append(part)
            length += Self.scalarCount(part)
            return start
        }
        if !document.title.isEmpty { _ = append("# \(document.title)") }
        // (start, level) of each rendered section; headings become outline entries.
        var starts: [(start: Int, level: Int, section: Section)] = []
        for (section, markdown) in zip(document.sections, sectionMarkdown) {
            // A section with no lines renders as nothing.
            guard let markdown else { continue }
            starts.append((append(markdown), section.level, section))
        }
        let end = length + (parts.isEmpty ? 0 : 1)
        markdown = parts.joined(separator: "\n\n") + (parts.isEmpty ? "" : "\n")

        var outline: [OutlineHeading] = []
        // Levels of the headings enclosing the current one, outermost first: a heading's depth
        // is how many of them are shallower, so a page using only h2 and h3 starts at 1.
        var open: [Int] = []
        for (index, entry) in starts.enumerated() where entry.level > 0 {
            while let last = open.last, last >= entry.level { open.removeLast() }
            open.append(entry.level)
            // The section runs to the next heading of its level or shallower: subsections included.
            let next = starts[(index + 1)...].first { $0.level > 0 && $0.level <= entry.level }?.start ?? end
            outline.append(OutlineHeading(anchor: entry.section.anchor, title: entry.section.heading, level: open.count,
                                          offset: entry.start, length: next - entry.start))
        }
        self.outline = outline
    }

    /// `text.unicodeScalars.count`, from the UTF-8 bytes: every byte but a continuation byte
    /// starts a scalar (the scalar view walks scalar by scalar).
    static func scalarCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            var count = 0
            for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
            return count
        }
    }

    /// Characters (Unicode scalars) in ``markdown``.
    public var characterCount: Int { markdown.unicodeScalars.count }

    public func encode(to writer: inout ByteWriter) {
        writer.append(UInt32(truncatingIfNeeded: outline.count))
        for heading in outline {
            writer.appendPrefixed(heading.anchor)
            writer.appendPrefixed(heading.title)
            writer.append(UInt8(truncatingIfNeeded: heading.level))
            writer.append(UInt32(truncatingIfNeeded: heading.offset))
            writer.append(UInt32(truncatingIfNeeded: heading.length))
        }
        writer.appendUTF8(markdown)
    }

    public init(from reader: inout ByteReader) throws(StorageError) {
        let count = Int(try reader.read(UInt32.self))
        var outline: [OutlineHeading] = []
        outline.reserveCapacity(min(count, 4_096))
        for _ in 0..<count {
            let anchor = try reader.readPrefixedString()
            let title = try reader.readPrefixedString()
            let level = Int(try reader.read(UInt8.self))
            let offset = Int(try reader.read(UInt32.self))
            let length = Int(try reader.read(UInt32.self))
            outline.append(OutlineHeading(anchor: anchor, title: title, level: level, offset: offset, length: length))
        }
        self.outline = outline
        markdown = reader.readRemainderString()
    }

    /// Bytes ``encode(to:)`` writes, give or take: enough to size the buffer once.
    var encodedSizeEstimate: Int {
        8 + markdown.utf8.count + outline.reduce(0) { $0 + 17 + $1.anchor.utf8.count + $1.title.utf8.count }
    }
}

/// One heading of a ``PageText``.
public struct OutlineHeading: Sendable, Equatable {
    /// The heading's anchor (`pageURL#anchor` lands on it).
    public var anchor: String
    /// The heading text.
    public var title: String
    /// 1 for the page's outermost headings, 2 under them, and so on.
    public var level: Int
    /// Where the heading line starts in the page's Markdown, in Unicode scalars.
    public var offset: Int
    /// The section's length in Unicode scalars, subsections and the blank lines after it
    /// included: it runs to the next heading of its level or shallower, or to the end.
    public var length: Int

    public init(anchor: String, title: String, level: Int, offset: Int, length: Int) {
        self.anchor = anchor
        self.title = title
        self.level = level
        self.offset = offset
        self.length = length
    }
}

import Storage

/// A chunk as the index keeps it, enough to show and cite a result without the page.
public struct StoredChunk: Sendable, Equatable, StorageRecord {
    /// The Confluence page id.
    public var pageID: String
    /// Position of the chunk in its page, from 0.
    public var ordinal: Int
    /// The page title at indexing time.
    public var title: String
    /// Headings from the outermost down to the chunk's section.
    public var headingPath: [String]
    /// The section's heading anchor (empty for the lead section).
    public var anchor: String
    /// Where the page lives (e.g. its web URL), as given by the caller; may be empty.
    public var urlHint: String
    /// The chunk's Markdown text.
    public var text: String
    /// Tokens in the title, heading path and body: the field lengths BM25 normalises by.
    public var titleLength: Int
    public var headingLength: Int
    public var bodyLength: Int

    public init(
        pageID: String, ordinal: Int, title: String, headingPath: [String], anchor: String, urlHint: String,
        text: String, titleLength: Int, headingLength: Int, bodyLength: Int
    ) {
        self.pageID = pageID
        self.ordinal = ordinal
        self.title = title
        self.headingPath = headingPath
        self.anchor = anchor
        self.urlHint = urlHint
        self.text = text
        self.titleLength = titleLength
        self.headingLength = headingLength
        self.bodyLength = bodyLength
    }

    public func encode(to writer: inout ByteWriter) {
        writer.appendPrefixed(pageID)
        writer.append(UInt32(truncatingIfNeeded: ordinal))
        writer.appendPrefixed(title)
        writer.append(UInt16(truncatingIfNeeded: headingPath.count))
        for heading in headingPath { writer.appendPrefixed(heading) }
        writer.appendPrefixed(anchor)
        writer.appendPrefixed(urlHint)
        writer.append(UInt32(truncatingIfNeeded: titleLength))
        writer.append(UInt32(truncatingIfNeeded: headingLength))
        writer.append(UInt32(truncatingIfNeeded: bodyLength))
        writer.appendUTF8(text)
    }

    /// Bytes ``encode(to:)`` writes, give or take: enough to size the buffer once.
    var encodedSizeEstimate: Int {
        44 + pageID.utf8.count + title.utf8.count + anchor.utf8.count + urlHint.utf8.count + text.utf8.count
            + headingPath.reduce(0) { $0 + 4 + $1.utf8.count }
    }

    public init(from reader: inout ByteReader) throws(StorageError) {
        pageID = try reader.readPrefixedString()
        ordinal = Int(try reader.read(UInt32.self))
        title = try reader.readPrefixedString()
        let headings = Int(try reader.read(UInt16.self))
        headingPath = []
        headingPath.reserveCapacity(headings)
        for _ in 0..<headings { headingPath.append(try reader.readPrefixedString()) }
        anchor = try reader.readPrefixedString()
        urlHint = try reader.readPrefixedString()
        titleLength = Int(try reader.read(UInt32.self))
        headingLength = Int(try reader.read(UInt32.self))
        bodyLength = Int(try reader.read(UInt32.self))
        text = reader.readRemainderString()
    }
}

/// A Confluence page converted from storage format into structure that keeps its meaning:
/// sections under their headings, blocks (paragraphs, code, tables, panels, tasks), the links
/// it makes, and a record of what could not be rendered.
///
/// Produced by ``StorageFormat/convert(_:title:options:)``; rendered by ``MarkdownRenderer`` and
/// cut into search chunks by ``Chunker``. Values are immutable snapshots and safe to share.
public struct Document: Sendable, Equatable {
    /// The page title, as given by the caller (storage format itself carries no title).
    public var title: String
    /// Sections in page order. The first is always the lead section (level 0, no heading) holding
    /// whatever precedes the first heading; it may have no blocks.
    public var sections: [Section]
    /// Every link the page makes, in page order, with the text a reader sees and its target.
    public var links: [Link]
    /// Macros the converter could not render faithfully (included pages, Jira queries, diagrams,
    /// unknown macros), by lower-cased macro name, with how often each occurs. Any body or
    /// fallback text they carried is still in the blocks.
    public var macroFlags: [String: Int]
    /// Problems met while parsing malformed input, in input order (capped; see
    /// ``ConversionOptions/maxWarnings``).
    public var warnings: [ParseWarning]

    /// Creates a document from its parts.
    public init(
        title: String,
        sections: [Section],
        links: [Link] = [],
        macroFlags: [String: Int] = [:],
        warnings: [ParseWarning] = []
    ) {
        self.title = title
        self.sections = sections
        self.links = links
        self.macroFlags = macroFlags
        self.warnings = warnings
    }

    /// True when no section has a heading or a block: the page has a title at most.
    public var isEmpty: Bool {
        sections.allSatisfy { $0.heading.isEmpty && $0.blocks.isEmpty }
    }

    /// The headings as a tree: each node's children are the headings of deeper level that follow
    /// it before the next heading of its own level or shallower.
    public var headingTree: [HeadingNode] {
        var roots: [HeadingNode] = []
        // Path of indices into the nested arrays, rebuilt per heading; pages have few headings.
        var openLevels: [Int] = []
        for (index, section) in sections.enumerated() where section.level > 0 {
            let node = HeadingNode(
                heading: section.heading, level: section.level, anchor: section.anchor,
                sectionIndex: index, children: []
            )
            while let last = openLevels.last, last >= section.level { openLevels.removeLast() }
            HeadingNode.insert(node, atDepth: openLevels.count, into: &roots)
            openLevels.append(section.level)
        }
        return roots
    }
}

/// A heading and the blocks under it, up to the next heading of any level.
public struct Section: Sendable, Equatable {
    /// The heading text; empty for the lead section.
    public var heading: String
    /// 1–6 for `h1`–`h6`; 0 for the lead section.
    public var level: Int
    /// The fragment Confluence Cloud uses for this heading, without `#` (see ``HeadingAnchor``);
    /// empty for the lead section.
    public var anchor: String
    /// Headings from the outermost down to this one, e.g. `["Install", "Debian"]`; empty for the
    /// lead section.
    public var headingPath: [String]
    /// The content under the heading, in page order.
    public var blocks: [Block]

    /// Creates a section.
    public init(heading: String, level: Int, anchor: String, headingPath: [String], blocks: [Block]) {
        self.heading = heading
        self.level = level
        self.anchor = anchor
        self.headingPath = headingPath
        self.blocks = blocks
    }
}

/// One heading in ``Document/headingTree``.
public struct HeadingNode: Sendable, Equatable {
    /// The heading text.
    public var heading: String
    /// 1–6.
    public var level: Int
    /// The heading's anchor (see ``Section/anchor``).
    public var anchor: String
    /// Index of the heading's section in ``Document/sections``.
    public var sectionIndex: Int
    /// Deeper headings under this one.
    public var children: [HeadingNode]

    static func insert(_ node: HeadingNode, atDepth depth: Int, into nodes: inout [HeadingNode]) {
        if depth == 0 || nodes.isEmpty {
            nodes.append(node)
        } else {
            insert(node, atDepth: depth - 1, into: &nodes[nodes.count - 1].children)
        }
    }
}

/// A problem found while parsing, with where it was found.
public struct ParseWarning: Sendable, Equatable, CustomStringConvertible {
    /// Offset in the UTF-8 input where the problem was noticed.
    public var byteOffset: Int
    /// What was wrong and what the parser did about it.
    public var message: String

    /// Creates a warning.
    public init(byteOffset: Int, message: String) {
        self.byteOffset = byteOffset
        self.message = message
    }

    /// `"@offset: message"`.
    public var description: String { "@\(byteOffset): \(message)" }
}

/// Walks an ``ElementTree`` and assembles a ``Document``: sections from top-level headings,
/// blocks from elements, links and macro flags on the side.
///
/// A class because the walk threads a lot of shared state (sections, links, flags) through
/// mutually recursive methods; one instance serves one conversion on one thread.
final class DocumentAssembler {
    let tree: ElementTree
    private(set) var sections: [Section] = [
        Section(heading: "", level: 0, anchor: "", headingPath: [], blocks: []),
    ]
    var links: [Link] = []
    var macroFlags: [String: Int] = [:]
    private var headingStack: [(level: Int, text: String)] = []
    private var anchors = HeadingAnchor.Allocator()

    init(tree: ElementTree) {
        self.tree = tree
    }

    /// Converts the whole tree.
    func assemble(title: String) -> Document {
        var flow = Flow(isTopLevel: true)
        walkChildren(of: ElementTree.root, into: &flow)
        flow.flush()
        sections[sections.count - 1].blocks += flow.blocks
        return Document(title: title, sections: sections, links: links, macroFlags: macroFlags,
                        warnings: tree.warnings)
    }

    /// Index of the section content is currently being added to.
    var currentSectionIndex: Int { sections.count - 1 }

    /// Starts a new section at a top-level heading; the blocks collected so far belong to the
    /// previous one.
    func startSection(heading text: String, level: Int, flow: inout Flow) {
        sections[sections.count - 1].blocks += flow.blocks
        flow.blocks = []
        while let top = headingStack.last, top.level >= level { headingStack.removeLast() }
        headingStack.append((level, text))
        let anchor = anchors.allocate(for: Byte.contains(UInt8(ascii: "`"), in: text) ? String(text.filter { $0 != "`" }) : text)
        sections.append(Section(heading: text, level: level, anchor: anchor,
                                headingPath: headingStack.map(\.text), blocks: []))
    }

    /// Counts a macro the converter could not render.
    func flag(_ name: String) {
        macroFlags[name.isEmpty ? "(unnamed)" : name, default: 0] += 1
    }
}

/// The content being collected for one container: finished blocks plus the paragraph in progress.
struct Flow {
    var blocks: [Block] = []
    var inline = InlineText()
    /// True for the page body and containers that flatten into it (layouts, divs, excerpts):
    /// headings there start sections. Inside panels, lists or cells they become heading blocks.
    let isTopLevel: Bool

    init(isTopLevel: Bool = false) {
        self.isTopLevel = isTopLevel
    }

    /// Ends the paragraph in progress.
    mutating func flush() {
        if let text = inline.take() { blocks.append(.paragraph(text)) }
    }

    /// Ends the paragraph in progress and adds a block after it.
    mutating func append(_ block: Block) {
        flush()
        blocks.append(block)
    }
}

extension DocumentAssembler {
    /// An HTML table as a ``Table`` (preceded by its caption as a paragraph, if any).
    func table(_ node: Int) -> [Block] {
        var builder = TableBuilder()
        var caption: String?
        // Content misplaced between rows (or left there by the nesting limit) is kept after the
        // table, as browsers "foster-parent" it before.
        var fostered = Flow()
        collectRows(of: node, inHead: false, into: &builder, caption: &caption, fostered: &fostered)
        fostered.flush()
        var blocks: [Block] = []
        if let caption, !caption.isEmpty { blocks.append(.paragraph(caption)) }
        if let table = builder.finish() { blocks.append(.table(table)) }
        return blocks + fostered.blocks
    }

    private func collectRows(
        of node: Int, inHead: Bool, into builder: inout TableBuilder, caption: inout String?, fostered: inout Flow
    ) {
        for child in tree.children(of: node) {
            switch tree.nodes[child].tag {
            case .thead:
                collectRows(of: child, inHead: true, into: &builder, caption: &caption, fostered: &fostered)
            case .tbody, .tfoot:
                collectRows(of: child, inHead: inHead, into: &builder, caption: &caption, fostered: &fostered)
            case .tr:
                builder.startRow(inHead: inHead)
                for cell in tree.children(of: child) {
                    let tag = tree.nodes[cell].tag
                    guard tag == .td || tag == .th else {
                        walk(cell, into: &fostered)
                        continue
                    }
                    builder.addCell(
                        text: flattenedText(ofChildrenOf: cell, separator: " <br> "),
                        isHeader: tag == .th,
                        columnSpan: tree.attribute("colspan", of: cell).flatMap { Int($0.trimmingSpaces) } ?? 1,
                        rowSpan: tree.attribute("rowspan", of: cell).flatMap { Int($0.trimmingSpaces) } ?? 1
                    )
                }
                builder.endRow()
            case .caption:
                caption = flattenedText(ofChildrenOf: child)
            case .colgroup, .col:
                continue
            default:
                walk(child, into: &fostered)
            }
        }
    }
}

/// Lays out table cells into a rectangular grid, honouring `colspan` (empty filler cells) and
/// `rowspan` (text repeated down the spanned rows).
struct TableBuilder {
    private var rows: [[String]] = []
    private var firstRowIsHeader = false
    private var row: [String] = []
    private var rowIsHeader = true
    private var rowInHead = false
    /// Column → (text, rows still to fill) for cells spanning down.
    private var carried: [Int: (text: String, remaining: Int)] = [:]

    /// Span values beyond these are treated as typos; they would only bloat the output.
    static let maxColumnSpan = 64
    static let maxRowSpan = 1_000

    mutating func startRow(inHead: Bool) {
        row = []
        rowIsHeader = true
        rowInHead = inHead
        fillCarried()
    }

    mutating func addCell(text: String, isHeader: Bool, columnSpan: Int, rowSpan: Int) {
        if !isHeader { rowIsHeader = false }
        let columns = min(max(columnSpan, 1), Self.maxColumnSpan)
        let rowsDown = min(max(rowSpan, 1), Self.maxRowSpan)
        for offset in 0..<columns {
            let cellText = offset == 0 ? text : ""
            if rowsDown > 1 { carried[row.count] = (cellText, rowsDown - 1) }
            row.append(cellText)
        }
        fillCarried()
    }

    mutating func endRow() {
        guard !row.isEmpty else { return }
        if rows.isEmpty { firstRowIsHeader = rowInHead || rowIsHeader }
        rows.append(row)
    }

    /// The finished table, or nil when it has no cells with text.
    func finish() -> Table? {
        guard rows.contains(where: { $0.contains { !$0.isEmpty } }) else { return nil }
        let width = rows.map(\.count).max() ?? 0
        let padded = rows.map { $0 + Array(repeating: "", count: width - $0.count) }
        return Table(rows: padded, headerRowCount: firstRowIsHeader ? 1 : 0)
    }

    private mutating func fillCarried() {
        while let carry = carried[row.count] {
            carried[row.count] = carry.remaining > 1 ? (carry.text, carry.remaining - 1) : nil
            row.append(carry.text)
        }
    }
}

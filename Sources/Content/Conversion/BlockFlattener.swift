/// Reduces blocks to one line of text, for places that hold a single line: table cells,
/// headings, titles, link bodies.
enum BlockFlattener {
    static func flatten(_ blocks: [Block], separator: String) -> String {
        var parts: [String] = []
        for block in blocks { append(block, to: &parts, separator: separator) }
        return parts.filter { !$0.isEmpty }.joined(separator: separator)
    }

    private static func append(_ block: Block, to parts: inout [String], separator: String) {
        switch block {
        case .paragraph(let text), .heading(_, let text):
            parts.append(separator == "\n" ? text : text.replacingNewlines(with: separator))
        case .code(let code):
            parts.append(separator == "\n" ? code.text : "`\(code.text.replacingNewlines(with: " "))`")
        case .list(let list):
            for (offset, item) in list.items.enumerated() {
                let marker = list.isOrdered ? "\(list.start + offset)." : "•"
                parts.append("\(marker) \(flatten(item, separator: " "))")
            }
        case .tasks(let items):
            for item in items { parts.append("[\(item.isComplete ? "x" : " ")] \(flatten(item.blocks, separator: " "))") }
        case .table(let table):
            parts.append(table.rows.map { $0.filter { !$0.isEmpty }.joined(separator: ", ") }.joined(separator: "; "))
        case .callout(let callout):
            let title = callout.kind == .panel ? "" : (callout.title ?? "")
            parts.append([callout.label, title, flatten(callout.blocks, separator: separator)]
                .filter { !$0.isEmpty }.joined(separator: " "))
        case .expand(let title, let blocks):
            parts.append(title)
            for inner in blocks { append(inner, to: &parts, separator: separator) }
        case .quote(let blocks):
            for inner in blocks { append(inner, to: &parts, separator: separator) }
        case .rule:
            break
        }
    }
}

extension String {
    func replacingNewlines(with separator: String) -> String {
        // A byte test first (Character search walks graphemes); "\r\n" passes it and splits as before.
        guard Byte.contains(Byte.newline, in: self) else { return self }
        return split(separator: "\n", omittingEmptySubsequences: true).joined(separator: separator)
    }
}

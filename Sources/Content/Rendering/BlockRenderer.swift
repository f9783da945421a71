/// Renders blocks as Markdown-like lines: the text the index sees and the chunker cuts.
enum BlockRenderer {
    /// Lines for a sequence of sibling blocks, with a blank line between blocks when `spaced`.
    static func lines(for blocks: [Block], spaced: Bool = true) -> [RenderedLine] {
        var lines: [RenderedLine] = []
        for block in blocks {
            let blockLines = self.lines(for: block)
            guard !blockLines.isEmpty else { continue }
            if spaced, !lines.isEmpty { lines.append(RenderedLine(text: "", role: .blank)) }
            lines += blockLines
        }
        return lines
    }

    static func lines(for block: Block) -> [RenderedLine] {
        switch block {
        case .paragraph(let text):
            return text.lineSlices(omittingEmpty: true).map { RenderedLine(text: String($0), role: .text) }
        case .heading(_, let text):
            return [RenderedLine(text: "**\(text)**", role: .text)]
        case .code(let code):
            return codeLines(code)
        case .list(let list):
            var lines: [RenderedLine] = []
            for (offset, item) in list.items.enumerated() {
                let marker = list.isOrdered ? "\(list.start + offset). " : "- "
                lines += indented(self.lines(for: item, spaced: false), marker: marker)
            }
            return lines
        case .tasks(let items):
            var lines: [RenderedLine] = []
            for item in items {
                let marker = item.isComplete ? "- [x] " : "- [ ] "
                let body = self.lines(for: item.blocks, spaced: false)
                lines += indented(body.isEmpty ? [RenderedLine(text: "", role: .text)] : body, marker: marker)
            }
            return lines
        case .table(let table):
            return tableLines(table)
        case .callout(let callout):
            var label = callout.label
            if callout.kind != .panel, let title = callout.title { label += " \(title)" }
            var body = callout.blocks
            if callout.title == nil || callout.kind == .panel, case .paragraph(let first)? = body.first {
                // "Note: text" reads better than a lone label line.
                body[0] = .paragraph("\(label) \(first)")
                return quoted(self.lines(for: body))
            }
            let bodyLines = self.lines(for: body)
            return quoted([RenderedLine(text: label, role: .text)] + bodyLines)
        case .expand(let title, let blocks):
            return quoted([RenderedLine(text: "Expand: \(title)", role: .text)] + self.lines(for: blocks))
        case .quote(let blocks):
            return quoted(self.lines(for: blocks))
        case .rule:
            return [RenderedLine(text: "---", role: .text)]
        }
    }

    private static func codeLines(_ code: CodeBlock) -> [RenderedLine] {
        var longestRun = 0, run = 0
        for character in code.text.utf8 {
            run = character == UInt8(ascii: "`") ? run + 1 : 0
            longestRun = max(longestRun, run)
        }
        let fence = String(repeating: "`", count: max(3, longestRun + 1))
        let open = fence + (code.language ?? "")
        var lines: [RenderedLine] = []
        if let title = code.title { lines.append(RenderedLine(text: title, role: .text)) }
        lines.append(RenderedLine(text: open, role: .fenceOpen(close: fence)))
        if !code.text.isEmpty {
            for line in code.text.lineSlices(omittingEmpty: false) {
                lines.append(RenderedLine(text: String(line), role: .code(open: open, close: fence)))
            }
        }
        lines.append(RenderedLine(text: fence, role: .fenceClose))
        return lines
    }

    private static func tableLines(_ table: Table) -> [RenderedLine] {
        guard let first = table.rows.first else { return [] }
        let header = row(first)
        let separator = "|" + String(repeating: " --- |", count: first.count)
        var lines = [RenderedLine(text: header, role: .text), RenderedLine(text: separator, role: .text)]
        for cells in table.rows.dropFirst() {
            lines.append(RenderedLine(text: row(cells), role: .tableRow(header: [header, separator])))
        }
        return lines
    }

    private static func row(_ cells: [String]) -> String {
        "| " + cells.map { $0.replacingOccurrencesOfPipe() }.joined(separator: " | ") + " |"
    }

    private static func indented(_ lines: [RenderedLine], marker: String) -> [RenderedLine] {
        let indent = String(repeating: " ", count: marker.count)
        return lines.enumerated().map { offset, line in
            line.prefixed(offset == 0 ? marker : indent, contextPrefix: indent)
        }
    }

    private static func quoted(_ lines: [RenderedLine]) -> [RenderedLine] {
        lines.map { $0.role == .blank ? RenderedLine(text: ">", role: .blank) : $0.prefixed("> ", contextPrefix: "> ") }
    }
}

extension String {
    /// `split(separator: "\n", omittingEmptySubsequences: omittingEmpty)`, found in the UTF-8
    /// bytes instead of by Character (the rendering hot spot). A "\n" Character is exactly an
    /// LF byte not preceded by CR: LF is a grapheme cluster of its own except in "\r\n", which
    /// is one Character and not split, here as there.
    func lineSlices(omittingEmpty: Bool) -> [Substring] {
        let utf8 = self.utf8
        guard utf8.contains(UInt8(ascii: "\n")) else { return omittingEmpty && isEmpty ? [] : [self[...]] }
        var slices: [Substring] = []
        var start = utf8.startIndex
        var previous: UInt8 = 0
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\n"), previous != UInt8(ascii: "\r") {
                if !omittingEmpty || start != index { slices.append(self[start..<index]) }
                start = utf8.index(after: index)
            }
            previous = byte
            index = utf8.index(after: index)
        }
        if !omittingEmpty || start != endIndex { slices.append(self[start..<endIndex]) }
        return slices
    }

    /// Escapes `|` so cell text cannot break a Markdown table row.
    func replacingOccurrencesOfPipe() -> String {
        guard utf8.contains(UInt8(ascii: "|")) else { return self }
        return split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }
}

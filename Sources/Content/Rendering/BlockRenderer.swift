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
            return text.lines(omittingEmpty: true).map { RenderedLine(text: $0, role: .text) }
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
            for line in code.text.lines(omittingEmpty: false) {
                lines.append(RenderedLine(text: line, role: .code(open: open, close: fence)))
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
    /// `split(separator: "\n", omittingEmptySubsequences: omittingEmpty)` as Strings, found in the UTF-8
    /// bytes instead of by Character (the rendering hot spot). A "\n" Character is exactly an
    /// LF byte not preceded by CR: LF is a grapheme cluster of its own except in "\r\n", which
    /// is one Character and not split, here as there.
    func lines(omittingEmpty: Bool) -> [String] {
        var text = self
        return text.withUTF8 { bytes -> [String] in
            guard bytes.contains(Byte.newline) else { return omittingEmpty && bytes.isEmpty ? [] : [self] }
            var lines: [String] = []
            var start = 0
            var previous: UInt8 = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                if byte == Byte.newline, previous != UInt8(ascii: "\r") {
                    if !omittingEmpty || start != index {
                        lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                    }
                    start = index + 1
                }
                previous = byte
            }
            if !omittingEmpty || start != bytes.count {
                lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
            }
            return lines
        }
    }

    /// Escapes `|` so cell text cannot break a Markdown table row.
    func replacingOccurrencesOfPipe() -> String {
        guard Byte.contains(UInt8(ascii: "|"), in: self) else { return self }
        return split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }
}

/// Renders a ``Document`` as Markdown, the form the index sees: `#` headings, fenced code with
/// its language, Markdown tables, `> Note:` panels, `- [x]` task boxes.
public enum MarkdownRenderer {
    /// The page as Markdown: `# Title`, then each section's heading at its own level and its
    /// blocks, separated by blank lines.
    public static func render(_ document: Document) -> String {
        var lines: [String] = []
        if !document.title.isEmpty { lines.append("# \(document.title)") }
        for section in document.sections {
            let sectionLines = self.lines(for: section)
            guard !sectionLines.isEmpty else { continue }
            if !lines.isEmpty { lines.append("") }
            lines += sectionLines.map(\.text)
        }
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }

    /// Blocks alone as Markdown, without headings.
    public static func render(_ blocks: [Block]) -> String {
        BlockRenderer.lines(for: blocks).map(\.text).joined(separator: "\n")
    }

    /// A report of what was not rendered and what was wrong with the input: one line per flagged
    /// macro (`name ×count`, sorted by name) and per parse warning. Empty when there is neither.
    public static func renderDiagnostics(_ document: Document) -> String {
        var lines: [String] = []
        if !document.macroFlags.isEmpty {
            lines.append("Macros not rendered:")
            for (name, count) in document.macroFlags.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(name) ×\(count)")
            }
        }
        if !document.warnings.isEmpty {
            lines.append("Parse warnings:")
            lines += document.warnings.map { "  \($0)" }
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// A section's lines: its heading (if any), a blank line, then its blocks.
    static func lines(for section: Section) -> [RenderedLine] {
        var lines: [RenderedLine] = []
        if section.level > 0 {
            let hashes = String(repeating: "#", count: min(max(section.level, 1), 6))
            lines.append(RenderedLine(text: "\(hashes) \(section.heading)", role: .text))
        }
        let blockLines = BlockRenderer.lines(for: section.blocks)
        if !lines.isEmpty, !blockLines.isEmpty { lines.append(RenderedLine(text: "", role: .blank)) }
        return lines + blockLines
    }
}

/// A ``Document`` with each section rendered once, for every reader of its Markdown: the
/// chunker cuts the lines, and the page text the index keeps joins them. Rendering is the
/// costly half of both, so a page is rendered once, not once for each.
public struct RenderedDocument: Sendable {
    /// The document rendered.
    public let document: Document
    /// Each section's lines (``MarkdownRenderer/lines(for:)``), in section order.
    let lines: [[RenderedLine]]

    /// Renders every section of `document`.
    public init(_ document: Document) {
        self.document = document
        lines = document.sections.map(MarkdownRenderer.lines(for:))
    }

    /// Each section's Markdown in section order: its lines joined by newlines, nil when it
    /// renders no line. ``MarkdownRenderer/render(_:)`` of a one-section document is this
    /// plus a newline.
    public var sectionMarkdown: [String?] {
        lines.map { $0.isEmpty ? nil : $0.map(\.text).joined(separator: "\n") }
    }
}

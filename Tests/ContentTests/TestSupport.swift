@testable import Content

/// Converts storage format with default options.
func convert(_ storage: String, title: String = "Page") -> Document {
    StorageFormat.convert(storage, title: title)
}

/// All blocks of all sections, in order.
func allBlocks(_ storage: String) -> [Block] {
    convert(storage).sections.flatMap(\.blocks)
}

/// The Markdown of the blocks only (no title, no headings).
func markdown(_ storage: String) -> String {
    MarkdownRenderer.render(allBlocks(storage))
}

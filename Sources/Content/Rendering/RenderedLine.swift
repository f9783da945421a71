/// One line of Markdown output, with what the chunker needs to cut between lines safely.
struct RenderedLine: Equatable {
    enum Role: Equatable {
        /// Ordinary text (paragraph, list item, heading, table header).
        case text
        /// Empty line between blocks.
        case blank
        /// A code fence that opens a block; `close` is the matching closing fence line.
        case fenceOpen(close: String)
        /// A code fence that closes a block.
        case fenceClose
        /// A line inside a code block, with the fence lines to re-open and close it in another chunk.
        case code(open: String, close: String)
        /// A table body row, with the header lines to repeat when a chunk starts at it.
        case tableRow(header: [String])
    }

    var text: String
    var role: Role

    /// The same line behind a prefix (list marker, indentation, `> `), applied to the context
    /// lines it carries too so re-opened fences and repeated headers line up.
    func prefixed(_ prefix: String, contextPrefix: String) -> RenderedLine {
        let role: Role = switch role {
        case .text, .blank, .fenceClose: role
        case .fenceOpen(let close): .fenceOpen(close: contextPrefix + close)
        case .code(let open, let close): .code(open: contextPrefix + open, close: contextPrefix + close)
        case .tableRow(let header): .tableRow(header: header.map { contextPrefix + $0 })
        }
        var text = prefix + self.text
        if self.role == .blank {
            while text.last == " " { text.removeLast() }
        }
        return RenderedLine(text: text, role: role)
    }
}

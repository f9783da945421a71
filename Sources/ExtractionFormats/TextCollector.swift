import Extraction

/// Gathers sections in reading order and cuts the text at the character limit: once the limit is
/// reached every later addition is dropped and the document is marked truncated.
struct TextCollector {
    private(set) var sections: [ExtractedSection] = []
    private(set) var truncated = false
    private var characters = 0
    private let maxCharacters: Int
    private var open: ExtractedSection?
    private var paragraph = ""

    init(maxCharacters: Int) { self.maxCharacters = maxCharacters }

    /// True once the limit is reached: readers may stop early.
    var isFull: Bool { truncated }

    /// Longest heading kept: a heading names a section, it does not carry its text.
    static let maxHeadingCharacters = 200

    /// Starts a new section (closing the open one).
    mutating func startSection(heading: String?, pageNumber: Int? = nil) {
        closeSection()
        let cut = heading.map { String(String.UnicodeScalarView($0.unicodeScalars.prefix(Self.maxHeadingCharacters))) }
        open = ExtractedSection(heading: cut, pageNumber: pageNumber, text: "")
    }

    /// Appends text to the paragraph being built.
    mutating func appendText(_ text: String) {
        guard !truncated else { return }
        paragraph += text
    }

    /// Ends the paragraph being built: kept when it has non-blank text.
    mutating func endParagraph() {
        let text = Self.trimmed(paragraph)
        paragraph = ""
        guard !text.isEmpty else { return }
        addParagraph(text)
    }

    /// Adds a whole paragraph (or a table row) to the open section.
    mutating func addParagraph(_ text: String) {
        guard !truncated, !text.isEmpty else { return }
        if open == nil { open = ExtractedSection(heading: nil, text: "") }
        let separator = open!.text.isEmpty ? 0 : 2
        let count = text.unicodeScalars.count
        if characters + separator + count > maxCharacters {
            let room = maxCharacters - characters - separator
            if room > 0 {
                var cut = String.UnicodeScalarView()
                cut.append(contentsOf: text.unicodeScalars.prefix(room))
                open!.text += (separator > 0 ? "\n\n" : "") + String(cut)
                characters += separator + room
            }
            truncated = true
            return
        }
        open!.text += (separator > 0 ? "\n\n" : "") + text
        characters += separator + count
    }

    /// The finished document: sections with text, in order.
    mutating func finish(format: DocumentFormat) -> ExtractedDocument {
        endParagraph()
        closeSection()
        return ExtractedDocument(format: format, sections: sections, truncated: truncated)
    }

    private mutating func closeSection() {
        endParagraph()
        if let section = open, !section.text.isEmpty { sections.append(section) }
        open = nil
    }

    /// Collapses runs of spaces, tabs, CRs and no-break spaces into one space, trims each line,
    /// and drops blank lines at the ends (inner blank lines stay). One pass over the UTF-8 bytes:
    /// it runs on every paragraph of every file.
    static func trimmed(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        var pendingNewlines = 0
        var atLineStart = true
        var iterator = text.utf8.makeIterator()
        var lookahead = iterator.next()
        while let byte = lookahead {
            lookahead = iterator.next()
            var isSpace = byte == 0x20 || byte == 0x09 || byte == 0x0D
            if byte == 0xC2, lookahead == 0xA0 {  // U+00A0
                isSpace = true
                lookahead = iterator.next()
            }
            if isSpace {
                if !atLineStart { pendingSpace = true }
            } else if byte == 0x0A {
                pendingSpace = false
                if !output.isEmpty { pendingNewlines += 1 }
                atLineStart = true
            } else {
                if pendingNewlines > 0 {
                    output.append(contentsOf: repeatElement(0x0A, count: pendingNewlines))
                    pendingNewlines = 0
                } else if pendingSpace {
                    output.append(0x20)
                }
                pendingSpace = false
                atLineStart = false
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

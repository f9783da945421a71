import Content
import Extraction

/// Plain text, Markdown, CSV, JSON, XML and HTML.
enum PlainFormats {
    /// Text in blank-line separated paragraphs.
    static func readText(_ text: String, into collector: inout TextCollector) {
        for paragraph in paragraphs(text) { collector.addParagraph(paragraph) }
    }

    /// Markdown: ATX headings (`# Title`) start sections; the rest as text.
    static func readMarkdown(_ text: String, into collector: inout TextCollector) {
        var block: [Substring] = []
        var inFence = false
        func flush(_ collector: inout TextCollector) {
            readText(block.joined(separator: "\n"), into: &collector)
            block = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let stripped = line.drop { $0 == " " }
            if stripped.hasPrefix("```") || stripped.hasPrefix("~~~") { inFence.toggle() }
            if !inFence, let heading = atxHeading(line) {
                flush(&collector)
                collector.startSection(heading: heading)
            } else {
                block.append(line)
            }
        }
        flush(&collector)
    }

    private static func atxHeading(_ line: Substring) -> String? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = line.dropFirst(hashes)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        let text = TextCollector.trimmed(String(rest.reversed().drop { $0 == "#" || $0 == " " }.reversed()))
        return text.isEmpty ? nil : text
    }

    /// CSV (RFC 4180 quoting; `,` or `;` separated): each record a line `a | b | c`.
    static func readCSV(_ text: String, into collector: inout TextCollector) {
        let firstLine = text.prefix { $0 != "\n" }
        let separator: Character = firstLine.filter { $0 == ";" }.count > firstLine.filter { $0 == "," }.count ? ";" : ","
        var field = ""
        var record: [String] = []
        var quoted = false
        var lines: [String] = []
        func endRecord() {
            record.append(field)
            field = ""
            let cells = record.map { TextCollector.trimmed($0) }
            record = []
            if cells.contains(where: { !$0.isEmpty }) { lines.append(cells.joined(separator: " | ")) }
        }
        var iterator = text.makeIterator()
        while let character = iterator.next(), !collector.isFull {
            if quoted {
                if character == "\"" {
                    quoted = false
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                if field.last == "\"" || !field.isEmpty { field.append("\"") }
                quoted = true
            } else if character == separator {
                record.append(field)
                field = ""
            } else if character == "\n" || character == "\r\n" {
                endRecord()
                if lines.count == 50 {
                    collector.addParagraph(lines.joined(separator: "\n"))
                    lines = []
                }
            } else {
                field.append(character)
            }
        }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        if !lines.isEmpty { collector.addParagraph(lines.joined(separator: "\n")) }
    }

    /// JSON: the string values (never keys), one per line. Not JSON at all is a type mismatch;
    /// a string that never ends is corrupt.
    static func readJSON(_ bytes: [UInt8], into collector: inout TextCollector) throws(ExtractionFailure) {
        var index = skipSpace(bytes, from: skipBOM(bytes))
        guard index < bytes.count, Self.jsonStarts.contains(bytes[index]) else {
            throw ExtractionFailure(.typeMismatch, "the file does not start like JSON")
        }
        var lines: [String] = []
        while index < bytes.count, !collector.isFull {
            guard bytes[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            guard let (value, end) = jsonString(bytes, at: index) else {
                throw ExtractionFailure(.corrupt, "a JSON string never ends (truncated?)")
            }
            index = end
            let next = skipSpace(bytes, from: index)
            if next < bytes.count, bytes[next] == UInt8(ascii: ":") { continue }  // a key
            let text = TextCollector.trimmed(value)
            if !text.isEmpty { lines.append(text) }
            if lines.count == 50 {
                collector.addParagraph(lines.joined(separator: "\n"))
                lines = []
            }
        }
        if !lines.isEmpty { collector.addParagraph(lines.joined(separator: "\n")) }
    }

    private static let jsonStarts: Set<UInt8> = Set("{[\"-0123456789tfn".utf8)

    private static func skipSpace(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index
    }

    static func skipBOM(_ bytes: [UInt8]) -> Int {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    /// The decoded string starting at the quote at `start`, and the index after its closing quote.
    private static func jsonString(_ bytes: [UInt8], at start: Int) -> (String, Int)? {
        var output: [UInt8] = []
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { return (String(decoding: output, as: UTF8.self), index + 1) }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                let escaped = bytes[index + 1]
                index += 2
                switch escaped {
                case UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): output.append(UInt8(ascii: " "))
                case UInt8(ascii: "b"), UInt8(ascii: "f"): break
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count,
                          let code = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else { return nil }
                    index += 4
                    var scalar = code
                    // A surrogate pair: \uD83D\uDE00.
                    if (0xD800..<0xDC00).contains(code), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                       bytes[index + 1] == UInt8(ascii: "u"),
                       let low = UInt32(String(decoding: bytes[(index + 2)..<(index + 6)], as: UTF8.self), radix: 16),
                       (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    output.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                default: output.append(escaped)
                }
                continue
            }
            output.append(byte)
            index += 1
        }
        return nil
    }

    /// XML: its text nodes (markup, comments and declarations left out). Not starting with `<` is a
    /// type mismatch.
    static func readXML(_ bytes: [UInt8], into collector: inout TextCollector) throws(ExtractionFailure) {
        let start = skipSpace(bytes, from: skipBOM(bytes))
        guard start < bytes.count, bytes[start] == UInt8(ascii: "<") else {
            throw ExtractionFailure(.typeMismatch, "the file does not start like XML")
        }
        var visitor = XMLTextVisitor(collector: collector)
        Markup.walk(utf8: bytes, visitor: &visitor)
        visitor.flush()
        collector = visitor.collector
    }

    /// HTML: the visible text of the body (no scripts, styles or head); `h1`–`h6` start sections,
    /// block elements end paragraphs, table rows read `a | b | c`.
    static func readHTML(_ bytes: [UInt8], into collector: inout TextCollector) throws(ExtractionFailure) {
        guard bytes.prefix(65_536).contains(UInt8(ascii: "<")) else {
            throw ExtractionFailure(.typeMismatch, "the file has no markup: not HTML")
        }
        var visitor = HTMLTextVisitor(collector: collector)
        Markup.walk(utf8: bytes, visitor: &visitor)
        visitor.collector.endParagraph()
        collector = visitor.collector
    }

    /// Blank-line separated paragraphs, each trimmed; one pass over the UTF-8 bytes (no
    /// grapheme breaking: this is the path of every plain-text and Markdown file).
    static func paragraphs(_ text: String) -> [String] {
        var result: [String] = []
        let bytes = Array(text.utf8)
        var paragraphStart: Int?
        var paragraphEnd = 0
        var lineStart = 0
        var lineBlank = true
        for index in 0...bytes.count {
            let byte: UInt8 = index < bytes.count ? bytes[index] : 0x0A
            if byte == 0x0A {
                if lineBlank {
                    if let start = paragraphStart {
                        result.append(TextCollector.trimmed(String(decoding: bytes[start..<paragraphEnd], as: UTF8.self)))
                        paragraphStart = nil
                    }
                } else {
                    if paragraphStart == nil { paragraphStart = lineStart }
                    paragraphEnd = index
                }
                lineStart = index + 1
                lineBlank = true
            } else if byte != 0x20, byte != 0x09, byte != 0x0D {
                lineBlank = false
            }
        }
        if let start = paragraphStart {
            result.append(TextCollector.trimmed(String(decoding: bytes[start..<paragraphEnd], as: UTF8.self)))
        }
        return result.filter { !$0.isEmpty }
    }
}

private struct XMLTextVisitor: MarkupVisitor {
    var collector: TextCollector
    private var lines: [String] = []

    init(collector: TextCollector) { self.collector = collector }

    mutating func enter(_ name: String, attributes: MarkupAttributes) {}
    mutating func text(_ text: String) {
        let line = TextCollector.trimmed(text.split(whereSeparator: \.isNewline).joined(separator: " "))
        guard !line.isEmpty else { return }
        lines.append(line)
        if lines.count == 50 { flush() }
    }
    mutating func leave(_ name: String) {}
    mutating func flush() {
        if !lines.isEmpty { collector.addParagraph(lines.joined(separator: "\n")) }
        lines = []
    }
}


private struct HTMLTextVisitor: MarkupVisitor {
    var collector: TextCollector
    private var hiddenDepth = 0
    private var headingText: String?
    private var row: [String]?
    private var cell: String?

    init(collector: TextCollector) { self.collector = collector }

    private static let hidden: Set<String> = ["script", "style", "head", "template", "noscript", "svg", "object", "iframe"]
    private static let blocks: Set<String> = [
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "section", "article", "header",
        "footer", "main", "aside", "nav", "figure", "figcaption", "table", "hr", "address", "form", "fieldset", "body",
    ]

    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        if hiddenDepth > 0 || Self.hidden.contains(name) { hiddenDepth += 1; return }
        if Self.blocks.contains(name) { collector.endParagraph() }
        switch name {
        case "h1", "h2", "h3", "h4", "h5", "h6":
            collector.endParagraph()
            headingText = ""
        case "br": append("\n")
        case "tr": row = []
        case "td", "th": cell = ""
        default: break
        }
    }

    mutating func text(_ text: String) {
        guard hiddenDepth == 0 else { return }
        append(text.split(whereSeparator: \.isNewline).joined(separator: " "))
    }

    private mutating func append(_ text: String) {
        if cell != nil {
            cell! += text
        } else if headingText != nil {
            headingText! += text
        } else {
            collector.appendText(text)
        }
    }

    mutating func leave(_ name: String) {
        if hiddenDepth > 0 { hiddenDepth -= 1; return }
        switch name {
        case "h1", "h2", "h3", "h4", "h5", "h6":
            let heading = TextCollector.trimmed(headingText ?? "")
            headingText = nil
            if !heading.isEmpty { collector.startSection(heading: heading) }
        case "td", "th":
            if let text = cell { row?.append(TextCollector.trimmed(text)) }
            cell = nil
        case "tr":
            if let cells = row, cells.contains(where: { !$0.isEmpty }) {
                collector.endParagraph()
                collector.addParagraph(cells.joined(separator: " | "))
            }
            row = nil
        default:
            if Self.blocks.contains(name) { collector.endParagraph() }
        }
    }
}

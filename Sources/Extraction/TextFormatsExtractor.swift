import Foundation

/// Extracts the text formats (plain text, Markdown, CSV, JSON, XML, HTML) in process: they
/// need no parser that a hostile file could crash, only a bounded read. Other formats fail
/// with ``ExtractionFailure/Reason/typeNotIndexed``: they are the sandboxed helper's. The
/// daemon uses this until it is given the sandboxed extractor; tests use it in process.
public struct TextFormatsExtractor: TextExtractor {
    /// The formats this extractor reads.
    public static let formats: Set<DocumentFormat> = [.text, .markdown, .csv, .json, .xml, .html]

    public init() {}

    public func extract(path: String, format: DocumentFormat, limits: ExtractionLimits) async throws(ExtractionFailure) -> ExtractedDocument {
        guard Self.formats.contains(format) else {
            throw ExtractionFailure(.typeNotIndexed, "\(format.rawValue) files need the extraction helper")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ExtractionFailure(.extractionFailed, "the downloaded file could not be opened")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limits.maxFileBytes + 1) ?? Data()
        } catch {
            throw ExtractionFailure(.extractionFailed, "the downloaded file could not be read")
        }
        guard data.count <= limits.maxFileBytes else {
            throw ExtractionFailure(.tooLarge, "larger than the \(limits.maxFileBytes)-byte limit")
        }
        // Text has no NUL bytes: a binary file declared as text is not read as text.
        if data.prefix(8_192).contains(0) {
            throw ExtractionFailure(.typeMismatch, "the file is declared as \(format.rawValue) but is not text")
        }
        let text = String(decoding: data, as: UTF8.self)
        var sections: [ExtractedSection]
        switch format {
        case .csv: sections = [ExtractedSection(heading: nil, text: Self.rows(ofCSV: text))]
        case .markdown: sections = Self.sections(ofMarkdown: text)
        case .html, .xml: sections = [ExtractedSection(heading: nil, text: Self.withoutTags(text))]
        default: sections = [ExtractedSection(heading: nil, text: text)]
        }
        var truncated = false
        var remaining = limits.maxCharacters
        sections = sections.compactMap { section in
            guard remaining > 0 else {
                truncated = true
                return nil
            }
            var section = section
            let count = section.text.unicodeScalars.count
            if count > remaining {
                section.text = String(String.UnicodeScalarView(section.text.unicodeScalars.prefix(remaining)))
                truncated = true
            }
            remaining -= min(count, remaining)
            return section
        }
        return ExtractedDocument(format: format, sections: sections, truncated: truncated)
    }

    /// CSV rows as `a | b | c` lines, quoted fields unquoted (a quoted field may hold commas).
    static func rows(ofCSV text: String) -> String {
        var lines: [String] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        func endRow() {
            fields.append(field)
            field = ""
            if fields.contains(where: { !$0.isEmpty }) { lines.append(fields.joined(separator: " | ")) }
            fields = []
        }
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == "," {
                fields.append(field)
                field = ""
            } else if character == "\n" || character == "\r\n" || character == "\r" {
                endRow()
            } else {
                field.append(character)
            }
        }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        // Rows as paragraphs: each is a unit a passage can quote.
        return lines.joined(separator: "\n\n")
    }

    /// Markdown cut at its `#` headings.
    static func sections(ofMarkdown text: String) -> [ExtractedSection] {
        var sections: [ExtractedSection] = []
        var heading: String?
        var lines: [Substring] = []
        func flush() {
            let body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !body.isEmpty || heading != nil { sections.append(ExtractedSection(heading: heading, text: body)) }
            lines = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("#"), let space = trimmed.firstIndex(of: " "), trimmed[..<space].allSatisfy({ $0 == "#" }) {
                flush()
                heading = trimmed[space...].trimmingCharacters(in: .whitespaces)
            } else {
                lines.append(line)
            }
        }
        flush()
        return sections
    }

    /// Markup without its tags, scripts and styles; block ends become paragraph breaks.
    static func withoutTags(_ text: String) -> String {
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "<", let close = text[index...].firstIndex(of: ">") {
                let tag = text[text.index(after: index)..<close].lowercased()
                var next = text.index(after: close)
                for skipped in ["script", "style"] where tag.hasPrefix(skipped) {
                    if let end = text.range(of: "</\(skipped)", options: .caseInsensitive, range: next..<text.endIndex) {
                        next = text[end.upperBound...].firstIndex(of: ">").map { text.index(after: $0) } ?? text.endIndex
                    }
                }
                let name = tag.trimmingCharacters(in: CharacterSet(charactersIn: "/")).prefix { $0.isLetter || $0.isNumber }
                if ["p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"].contains(String(name)) {
                    result += "\n\n"
                } else {
                    result += " "
                }
                index = next
            } else {
                result.append(text[index])
                index = text.index(after: index)
            }
        }
        let entities = ["&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&nbsp;": " "]
        for (entity, character) in entities { result = result.replacingOccurrences(of: entity, with: character) }
        return result.components(separatedBy: "\n\n").map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            .filter { !$0.isEmpty }.joined(separator: "\n\n")
    }
}

import Content
import Extraction

/// ODT, ODS and ODP: `content.xml` of the ZIP, read with the project's markup parser.
enum ODFReader {
    static func read(_ archive: inout ZipArchive, format: DocumentFormat, into collector: inout TextCollector) throws(ExtractionFailure) {
        guard let xml = try archive.read("content.xml") else {
            throw ExtractionFailure(.corrupt, "the OpenDocument file has no content.xml")
        }
        if format == .odp {
            var pages = PresentationVisitor()
            Markup.walk(utf8: xml, visitor: &pages)
            for (index, slide) in pages.slides.enumerated() where !collector.isFull {
                slide.add(slide: index + 1, to: &collector)
            }
            return
        }
        var visitor = TextVisitor(collector: collector, sheetsAreSections: format == .ods)
        Markup.walk(utf8: xml, visitor: &visitor)
        collector = visitor.collector
    }
}

/// Text documents and spreadsheets: `text:h` starts a section (ODT), `table:table` a sheet (ODS);
/// `text:p` paragraphs; table rows read `a | b | c`; tracked deletions left out.
private struct TextVisitor: MarkupVisitor {
    var collector: TextCollector
    let sheetsAreSections: Bool
    private var paragraph = ""
    private var paragraphDepth = 0
    private var isHeading = false
    private var skipDepth = 0
    private var tableDepth = 0
    private var row: [String] = []
    private var cell = ""

    init(collector: TextCollector, sheetsAreSections: Bool) {
        self.collector = collector
        self.sheetsAreSections = sheetsAreSections
    }

    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        if skipDepth > 0 || name == "text:tracked-changes" || name == "office:annotation" {
            skipDepth += 1
            return
        }
        switch name {
        case "text:p", "text:h":
            paragraphDepth += 1
            if paragraphDepth == 1 { paragraph = ""; isHeading = name == "text:h" }
        case "text:s":
            let count = Int(attributes["text:c"] ?? "1") ?? 1
            paragraph += String(repeating: " ", count: min(max(count, 1), 64))
        case "text:tab": paragraph += "\t"
        case "text:line-break": paragraph += "\n"
        case "table:table":
            tableDepth += 1
            if tableDepth == 1, sheetsAreSections { collector.startSection(heading: "Sheet: \(attributes["table:name"] ?? "Sheet")") }
        case "table:table-row": if tableDepth == 1 { row = [] }
        case "table:table-cell", "table:covered-table-cell": if tableDepth == 1 { cell = "" }
        default: break
        }
    }

    mutating func text(_ text: String) { if skipDepth == 0, paragraphDepth > 0 { paragraph += text } }

    mutating func leave(_ name: String) {
        if skipDepth > 0 {
            skipDepth -= 1
            return
        }
        switch name {
        case "text:p", "text:h":
            paragraphDepth -= 1
            guard paragraphDepth == 0 else { return }
            let text = TextCollector.trimmed(paragraph)
            if tableDepth > 0 {
                if !text.isEmpty { cell += cell.isEmpty ? text : " " + text }
            } else if isHeading, !text.isEmpty, !sheetsAreSections {
                collector.startSection(heading: text)
            } else {
                collector.addParagraph(text)
            }
        case "table:table-cell", "table:covered-table-cell": if tableDepth == 1 { row.append(cell) }
        case "table:table-row":
            guard tableDepth == 1 else { return }
            while row.last?.isEmpty == true { row.removeLast() }
            if !row.isEmpty { collector.addParagraph(row.joined(separator: " | ")) }
        case "table:table": tableDepth -= 1
        default: break
        }
    }
}

/// Presentations: each `draw:page` a slide, its title from the frame of class "title".
private struct PresentationVisitor: MarkupVisitor {
    var slides: [SlideVisitor] = []
    private var current: SlideVisitor?
    private var notesDepth = 0

    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        if name == "draw:page" {
            var slide = SlideVisitor(paragraphElement: "text:p", textElements: [], breakElements: ["text:line-break"])
            slide.textAnywhereInParagraph = true
            current = slide
            return
        }
        // Speaker notes are not slide text.
        if name == "presentation:notes" || notesDepth > 0 { notesDepth += 1; return }
        current?.enter(name, attributes: attributes)
    }

    mutating func text(_ text: String) { if notesDepth == 0 { current?.text(text) } }

    mutating func leave(_ name: String) {
        if name == "draw:page", let slide = current {
            slides.append(slide)
            current = nil
            return
        }
        if notesDepth > 0 { notesDepth -= 1; return }
        current?.leave(name)
    }
}

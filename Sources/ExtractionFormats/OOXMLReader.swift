import Content
import Extraction

/// DOCX, PPTX and XLSX: ZIP + XML parts read with the project's markup parser.
enum OOXMLReader {
    /// Word: paragraphs of `word/document.xml`; paragraphs styled Title or HeadingN start sections;
    /// table rows read `a | b | c`.
    static func readDOCX(_ archive: inout ZipArchive, into collector: inout TextCollector) throws(ExtractionFailure) {
        guard let xml = try archive.read("word/document.xml") else {
            throw ExtractionFailure(.typeMismatch, "the ZIP has no word/document.xml: not a DOCX")
        }
        var visitor = WordVisitor(collector: collector)
        Markup.walk(utf8: xml, visitor: &visitor)
        collector = visitor.collector
    }

    /// PowerPoint: slides in presentation order, each a section "Slide N: title".
    static func readPPTX(_ archive: inout ZipArchive, into collector: inout TextCollector) throws(ExtractionFailure) {
        var slides: [String] = []
        if let presentation = try archive.read("ppt/presentation.xml"),
           let relations = try archive.read("ppt/_rels/presentation.xml.rels") {
            let targets = relationshipTargets(relations, base: "ppt/")
            var order = AttributeCollector(element: "p:sldid", attribute: "r:id")
            Markup.walk(utf8: presentation, visitor: &order)
            slides = order.values.compactMap { targets[$0] }
        }
        if slides.isEmpty {
            slides = archive.names.filter { $0.hasPrefix("ppt/slides/slide") && $0.hasSuffix(".xml") }
                .sorted { numberIn($0) < numberIn($1) }
        }
        for (index, name) in slides.enumerated() where !collector.isFull {
            guard let xml = try archive.read(name) else { continue }
            var visitor = SlideVisitor(paragraphElement: "a:p", textElements: ["a:t"], breakElements: ["a:br"])
            Markup.walk(utf8: xml, visitor: &visitor)
            visitor.add(slide: index + 1, to: &collector)
        }
    }

    /// Excel: each sheet a section "Sheet: name", rows `a | b | c` with shared strings resolved.
    static func readXLSX(_ archive: inout ZipArchive, into collector: inout TextCollector) throws(ExtractionFailure) {
        guard let workbook = try archive.read("xl/workbook.xml") else {
            throw ExtractionFailure(.typeMismatch, "the ZIP has no xl/workbook.xml: not an XLSX")
        }
        let targets = try archive.read("xl/_rels/workbook.xml.rels").map { relationshipTargets($0, base: "xl/") } ?? [:]
        var sheets = SheetListVisitor()
        Markup.walk(utf8: workbook, visitor: &sheets)
        var shared = SharedStringsVisitor()
        if let strings = try archive.read("xl/sharedStrings.xml") { Markup.walk(utf8: strings, visitor: &shared) }
        for (position, sheet) in sheets.sheets.enumerated() where !collector.isFull {
            let name = sheet.relation.flatMap { targets[$0] } ?? "xl/worksheets/sheet\(position + 1).xml"
            guard let xml = try archive.read(name) else { continue }
            collector.startSection(heading: "Sheet: \(sheet.name)")
            var visitor = CellVisitor(sharedStrings: shared.strings, collector: collector)
            Markup.walk(utf8: xml, visitor: &visitor)
            collector = visitor.collector
        }
    }

    /// `Id` → part name from a `.rels` part; targets are relative to `base` unless absolute.
    static func relationshipTargets(_ xml: [UInt8], base: String) -> [String: String] {
        var visitor = RelationshipVisitor()
        Markup.walk(utf8: xml, visitor: &visitor)
        var targets: [String: String] = [:]
        for (id, target) in visitor.relations {
            targets[id] = target.hasPrefix("/") ? String(target.dropFirst()) : base + target
        }
        return targets
    }

    static func numberIn(_ name: String) -> Int {
        Int(String(name.filter(\.isNumber))) ?? 0
    }
}

/// The values of one attribute on every element of one name, in order.
struct AttributeCollector: MarkupVisitor {
    let element: String
    let attribute: String
    var values: [String] = []

    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        if name == element, let value = attributes[attribute] { values.append(value) }
    }
    mutating func text(_ text: String) {}
    mutating func leave(_ name: String) {}
}

private struct RelationshipVisitor: MarkupVisitor {
    var relations: [(String, String)] = []
    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        if name == "relationship", let id = attributes["id"], let target = attributes["target"] {
            relations.append((id, target))
        }
    }
    mutating func text(_ text: String) {}
    mutating func leave(_ name: String) {}
}

/// `word/document.xml`: runs of `w:t`, tabs and breaks, paragraph styles, table rows.
private struct WordVisitor: MarkupVisitor {
    var collector: TextCollector
    private var inText = false
    private var paragraph = ""
    private var isHeading = false
    private var tableDepth = 0
    private var row: [String] = []
    private var cell = ""

    init(collector: TextCollector) { self.collector = collector }

    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        switch name {
        case "w:p": paragraph = ""; isHeading = false
        case "w:t": inText = true
        case "w:tab": paragraph += "\t"
        case "w:br", "w:cr": paragraph += "\n"
        case "w:pstyle":
            let style = (attributes["w:val"] ?? "").lowercased()
            isHeading = style == "title" || style.hasPrefix("heading")
        case "w:tbl": tableDepth += 1
        case "w:tr": if tableDepth == 1 { row = [] }
        case "w:tc": if tableDepth == 1 { cell = "" }
        default: break
        }
    }

    mutating func text(_ text: String) { if inText { paragraph += text } }

    mutating func leave(_ name: String) {
        switch name {
        case "w:t": inText = false
        case "w:p":
            let text = TextCollector.trimmed(paragraph)
            paragraph = ""
            if tableDepth > 0 {
                if !text.isEmpty { cell += cell.isEmpty ? text : " " + text }
            } else if isHeading, !text.isEmpty {
                collector.startSection(heading: text)
            } else {
                collector.addParagraph(text)
            }
        case "w:tc": if tableDepth == 1 { row.append(cell) }
        case "w:tr":
            if tableDepth == 1, row.contains(where: { !$0.isEmpty }) { collector.addParagraph(row.joined(separator: " | ")) }
        case "w:tbl": tableDepth -= 1
        default: break
        }
    }
}

/// One slide (PPTX or ODP): its paragraphs, and its title from the title placeholder.
struct SlideVisitor: MarkupVisitor {
    let paragraphElement: String
    let textElements: Set<String>
    let breakElements: Set<String>
    /// ODF text is any text inside a paragraph; OOXML text only inside `a:t`.
    var textAnywhereInParagraph = false
    private(set) var paragraphs: [String] = []
    private(set) var title: String?
    private var inText = 0
    private var paragraphDepth = 0
    private var paragraph = ""
    private var titleShapeDepth = 0
    private var shapeDepth = 0

    init(paragraphElement: String, textElements: Set<String>, breakElements: Set<String>) {
        self.paragraphElement = paragraphElement
        self.textElements = textElements
        self.breakElements = breakElements
    }

    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        if name == "p:sp" || name == "draw:frame" {
            shapeDepth += 1
            if attributes["presentation:class"] == "title" { titleShapeDepth = shapeDepth }
        }
        if name == "p:ph", let type = attributes["type"], type == "title" || type == "ctrTitle" {
            titleShapeDepth = shapeDepth
        }
        if name == paragraphElement {
            paragraphDepth += 1
            if paragraphDepth == 1 { paragraph = "" }
        }
        if textElements.contains(name) { inText += 1 }
        if breakElements.contains(name) { paragraph += "\n" }
        if name == "text:s" { paragraph += " " }
        if name == "text:tab" { paragraph += "\t" }
    }

    mutating func text(_ text: String) {
        if inText > 0 || (textAnywhereInParagraph && paragraphDepth > 0) { paragraph += text }
    }

    mutating func leave(_ name: String) {
        if textElements.contains(name) { inText -= 1 }
        if name == paragraphElement {
            paragraphDepth -= 1
            if paragraphDepth == 0 {
                let text = TextCollector.trimmed(paragraph)
                if !text.isEmpty {
                    if titleShapeDepth > 0, title == nil { title = text }
                    paragraphs.append(text)
                }
            }
        }
        if name == "p:sp" || name == "draw:frame" {
            if titleShapeDepth == shapeDepth { titleShapeDepth = 0 }
            shapeDepth -= 1
        }
    }

    /// Files the slide as a section "Slide N: title" (or "Slide N").
    func add(slide number: Int, to collector: inout TextCollector) {
        guard !paragraphs.isEmpty else { return }
        let heading = title.map { "Slide \(number): \($0.split(separator: "\n").joined(separator: " "))" } ?? "Slide \(number)"
        collector.startSection(heading: heading)
        for paragraph in paragraphs { collector.addParagraph(paragraph) }
    }
}

private struct SheetListVisitor: MarkupVisitor {
    var sheets: [(name: String, relation: String?)] = []
    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        if name == "sheet" { sheets.append((attributes["name"] ?? "Sheet \(sheets.count + 1)", attributes["r:id"])) }
    }
    mutating func text(_ text: String) {}
    mutating func leave(_ name: String) {}
}

/// `xl/sharedStrings.xml`: each `si` is the concatenation of its `t` runs (phonetic runs left out).
private struct SharedStringsVisitor: MarkupVisitor {
    var strings: [String] = []
    private var current = ""
    private var inText = false
    private var inPhonetic = false
    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        switch name {
        case "si": current = ""
        case "t": inText = true
        case "rph": inPhonetic = true
        default: break
        }
    }
    mutating func text(_ text: String) { if inText, !inPhonetic { current += text } }
    mutating func leave(_ name: String) {
        switch name {
        case "si": strings.append(current)
        case "t": inText = false
        case "rph": inPhonetic = false
        default: break
        }
    }
}

/// A worksheet: each `row` a line of its cells' values.
private struct CellVisitor: MarkupVisitor {
    let sharedStrings: [String]
    var collector: TextCollector
    private var row: [String] = []
    private var cellType: String?
    private var value = ""
    private var inValue = false

    init(sharedStrings: [String], collector: TextCollector) {
        self.sharedStrings = sharedStrings
        self.collector = collector
    }

    mutating func enter(_ name: String, attributes: MarkupAttributes) {
        switch name {
        case "row": row = []
        case "c": cellType = attributes["t"]; value = ""
        case "v", "t": inValue = true
        default: break
        }
    }
    mutating func text(_ text: String) { if inValue { value += text } }
    mutating func leave(_ name: String) {
        switch name {
        case "v", "t": inValue = false
        case "c":
            if cellType == "s", let index = Int(value.trimmingSpaces), index >= 0, index < sharedStrings.count {
                row.append(sharedStrings[index])
            } else {
                row.append(value)
            }
        case "row":
            while row.last?.isEmpty == true { row.removeLast() }
            if !row.isEmpty { collector.addParagraph(TextCollector.trimmed(row.joined(separator: " | "))) }
        default: break
        }
    }
}

extension String {
    var trimmingSpaces: String { TextCollector.trimmed(self) }
}

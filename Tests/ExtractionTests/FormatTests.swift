import Extraction
import Testing

/// Each format from a real file, through the sandboxed helper: its text, its headings, and PDF
/// page numbers.
@Suite("Formats through the sandboxed helper")
struct FormatTests {
    let extractor = SandboxedExtractor(helperPath: Fixtures.helper)

    func extract(_ name: String, _ format: DocumentFormat, limits: ExtractionLimits = ExtractionLimits()) async throws -> ExtractedDocument {
        try await extractor.extract(path: Fixtures.path(name), format: format, limits: limits)
    }

    @Test func pdfPagesAreSectionsWithPageNumbers() async throws {
        let document = try await extract("sample.pdf", .pdf)
        #expect(document.format == .pdf)
        #expect(document.sections.map(\.pageNumber) == [1, 2, 3])
        #expect(document.sections.map(\.heading) == ["Page 1", "Page 2", "Page 3"])
        #expect(document.sections[0].text.contains("flamingo protocol"))
        #expect(document.sections[1].text.contains("giraffe scheduler"))
        #expect(document.sections[2].text.contains("pangolin glossary"))
        #expect(!document.truncated)
    }

    @Test func docxHeadingsParagraphsAndTables() async throws {
        let document = try await extract("sample.docx", .docx)
        #expect(document.sections.map(\.heading) == ["Quarterly Wombat Report", "Deployment Checklist"])
        #expect(document.sections[0].text == "The lead paragraph mentions the platypus budget.")
        // Runs split by formatting read as one sentence; table rows as `a | b`.
        #expect(document.sections[1].text == "Rotate the marmalade credentials every quarter.\n\nOwner | Budget\n\nOps | 4200 & more")
        #expect(document.sections.allSatisfy { $0.pageNumber == nil })
    }

    @Test func pptxSlidesInPresentationOrderWithTitles() async throws {
        let document = try await extract("sample.pptx", .pptx)
        // slide2.xml is listed first in presentation.xml.
        #expect(document.sections.map(\.heading) == ["Slide 1: Welcome", "Slide 2: Roadmap"])
        #expect(document.sections[0].text.contains("kumquat initiative"))
        #expect(document.sections[1].text.contains("heliotrope release"))
    }

    @Test func xlsxSheetsWithSharedAndInlineStrings() async throws {
        let document = try await extract("sample.xlsx", .xlsx)
        #expect(document.sections.map(\.heading) == ["Sheet: Budget", "Sheet: Staff"])
        #expect(document.sections[0].text == "Item | Cost\n\nZeppelin fuel | 1234.5")
        #expect(document.sections[1].text == "Alice Quokka | Lead engineer")
    }

    @Test func odtHeadingsWithoutTrackedDeletions() async throws {
        let document = try await extract("sample.odt", .odt)
        #expect(document.sections.map(\.heading) == [nil, "Migration Plan"])
        #expect(document.sections[0].text == "Opening words about the capybara.")
        #expect(document.sections[1].text == "Move the archive to the tundra cluster.")
        #expect(!document.sections.contains { $0.text.contains("deletedword") })
    }

    @Test func odsSheets() async throws {
        let document = try await extract("sample.ods", .ods)
        #expect(document.sections.map(\.heading) == ["Sheet: Inventory", "Sheet: Notes"])
        #expect(document.sections[0].text == "Widget | Gadget\n\nnarwhal")
        #expect(document.sections[1].text == "pelican note")
    }

    @Test func odpSlidesWithoutSpeakerNotes() async throws {
        let document = try await extract("sample.odp", .odp)
        #expect(document.sections.map(\.heading) == ["Slide 1: Kickoff", "Slide 2: Budget"])
        #expect(document.sections[0].text.contains("axolotl team"))
        #expect(!document.sections.contains { $0.text.contains("speaker secret") })
    }

    @Test func plainTextParagraphs() async throws {
        let document = try await extract("sample.txt", .text)
        #expect(document.sections == [ExtractedSection(
            heading: nil, text: "First paragraph about the ocelot.\n\nSecond paragraph, the\nsame one continued.")])
    }

    @Test func markdownHeadingsOutsideCodeFences() async throws {
        let document = try await extract("sample.md", .markdown)
        #expect(document.sections.map(\.heading) == [nil, "Setup", "Usage"])
        #expect(document.sections[1].text.contains("tapir"))
        #expect(document.sections[1].text.contains("# not a heading"))
        #expect(document.sections[2].text == "Run it daily.")
    }

    @Test func csvRecordsWithQuoting() async throws {
        let document = try await extract("sample.csv", .csv)
        #expect(document.sections.map(\.text) == ["name | comment\nalpaca | likes, commas\nquoted \"llama\" | plain"])
    }

    @Test func jsonStringValuesNotKeys() async throws {
        let document = try await extract("sample.json", .json)
        #expect(document.sections.map(\.text) == ["Gecko handbook\niguana\nnewt\nline break été"])
    }

    @Test func xmlTextNodesAndCDATA() async throws {
        let document = try await extract("sample.xml", .xml)
        #expect(document.sections.map(\.text) == ["Heron & egret\nRaw <cdata> text"])
    }

    @Test func htmlVisibleTextOnly() async throws {
        let document = try await extract("sample.html", .html)
        #expect(document.sections.map(\.heading) == [nil, "Contacts"])
        #expect(document.sections[0].text == "Visible lead about the mongoose.")
        #expect(document.sections[1].text == "Name | Role\n\nIbis | Lead\n\nLine one\nline two")
        let all = document.sections.map(\.text).joined()
        #expect(!all.contains("invisible") && !all.contains("Tab title") && !all.contains("color"))
    }

    @Test func textIsCutAtTheCharacterLimit() async throws {
        let document = try await extract("large.txt", .text, limits: ExtractionLimits(maxCharacters: 100))
        #expect(document.truncated)
        #expect(document.characterCount == 100)
        #expect(document.sections[0].text.hasPrefix("large file line\nlarge file line"))
    }
}

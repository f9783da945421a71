import Extraction
import Foundation
import Testing

/// The daemon's in-process extractor of the text formats (the sandboxed helper does the rest).
@Suite("Text formats extractor")
struct TextFormatsExtractorTests {
    func extract(_ text: String, as format: DocumentFormat, limits: ExtractionLimits = ExtractionLimits()) async throws(ExtractionFailure)
        -> ExtractedDocument {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-tfx-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { unlink(path) }
        return try await TextFormatsExtractor().extract(path: path, format: format, limits: limits)
    }

    @Test("CSV rows become `a | b` lines, quoted fields keep their commas and quotes")
    func csv() async throws {
        let document = try await extract("name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\r\nx,y\n", as: .csv)
        #expect(document.sections.map(\.text) == ["name | note\n\nSmith, J | said \"hi\"\n\nx | y"])
    }

    @Test("Markdown is cut at its headings; HTML loses tags, scripts and entities")
    func markdownAndHTML() async throws {
        let markdown = try await extract("Intro line.\n\n# First\n\nOne.\n\n## Second\n\nTwo.", as: .markdown)
        #expect(markdown.sections == [
            ExtractedSection(heading: nil, text: "Intro line."), ExtractedSection(heading: "First", text: "One."),
            ExtractedSection(heading: "Second", text: "Two."),
        ])
        let html = try await extract("<html><head><script>var x = 1;</script><style>p {}</style></head><body><p>Fish &amp; chips</p><p>Tea</p></body></html>",
                                     as: .html)
        #expect(html.sections.map(\.text) == ["Fish & chips\n\nTea"])
    }

    @Test("Binary bytes declared as text fail as type_mismatch; text past the limit is cut and marked; other formats are not read")
    func failuresAndLimits() async throws {
        await #expect(throws: ExtractionFailure.self) { try await extract("PK\u{0}\u{0}binary", as: .text) }
        do {
            _ = try await extract("PK\u{0}\u{0}binary", as: .text)
        } catch {
            #expect(error.reason == .typeMismatch)
        }
        let cut = try await extract(String(repeating: "word ", count: 1_000), as: .text, limits: ExtractionLimits(maxCharacters: 1_000))
        #expect(cut.truncated && cut.characterCount == 1_000)
        do {
            _ = try await extract("%PDF-1.4", as: .pdf)
            Issue.record("a PDF was read in process")
        } catch {
            #expect(error.reason == .typeNotIndexed)
        }
    }
}

import Extraction
import ExtractionFormats
import Foundation
import Synchronization

/// An in-process ``TextExtractor`` for engine tests: every format read as the sandboxed helper
/// reads it (``DocumentReader``, without the sandbox), plus canned files so the sandboxed helper's outcomes can be exercised without it:
/// a file starting `%PDF-canned` is a PDF whose pages are separated by form feeds, and a file
/// starting `FAIL:reason` fails with that ``ExtractionFailure/Reason`` (e.g. `FAIL:encrypted`).
public final class TestExtractor: TextExtractor {
    private let count = Mutex(0)

    public init() {}

    /// Files extracted so far (failures included).
    public var extractions: Int { count.withLock { $0 } }

    public func extract(path: String, format: DocumentFormat, limits: ExtractionLimits) async throws(ExtractionFailure) -> ExtractedDocument {
        count.withLock { $0 += 1 }
        let data = FileManager.default.contents(atPath: path) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("FAIL:") {
            let code = text.dropFirst(5).prefix { !$0.isWhitespace }
            throw ExtractionFailure(ExtractionFailure.Reason(rawValue: String(code)) ?? .extractionFailed, "canned failure \(code)")
        }
        if text.hasPrefix("%PDF-canned") {
            let pages = text.dropFirst("%PDF-canned".count).split(separator: "\u{0C}", omittingEmptySubsequences: false)
            return ExtractedDocument(format: .pdf, sections: pages.enumerated().map { index, page in
                ExtractedSection(heading: "Page \(index + 1)", pageNumber: index + 1,
                                 text: page.trimmingCharacters(in: .whitespacesAndNewlines))
            })
        }
        return try DocumentReader.extract([UInt8](data), format: format, limits: limits)
    }
}

import CPoppler
import Extraction

/// PDF text through poppler-glib, page by page: each page a section "Page N" with its number.
enum PDFReader {
    static func read(_ bytes: [UInt8], into collector: inout TextCollector) throws(ExtractionFailure) {
        var error: UnsafeMutablePointer<GError>?
        let document: OpaquePointer? = bytes.withUnsafeBytes { raw in
            // g_bytes_new copies: poppler may keep the bytes past this closure.
            let data = g_bytes_new(raw.baseAddress, gsize(raw.count))
            defer { g_bytes_unref(data) }
            return poppler_document_new_from_bytes(data, nil, &error)
        }
        guard let document else {
            let encrypted = tributary_poppler_error_is_encrypted(error) != 0
            if error != nil { g_error_free(error) }
            if encrypted { throw ExtractionFailure(.encrypted, "the PDF is password-protected") }
            throw ExtractionFailure(.corrupt, "poppler could not read the PDF (damaged or truncated)")
        }
        defer { tributary_poppler_unref(UnsafeMutableRawPointer(document)) }
        let pages = poppler_document_get_n_pages(document)
        guard pages > 0 else { throw ExtractionFailure(.corrupt, "the PDF has no pages (damaged or truncated)") }
        for index in 0..<pages where !collector.isFull {
            guard let page = poppler_document_get_page(document, index) else { continue }
            defer { tributary_poppler_unref(UnsafeMutableRawPointer(page)) }
            guard let text = poppler_page_get_text(page) else { continue }
            defer { g_free(text) }
            collector.startSection(heading: "Page \(index + 1)", pageNumber: Int(index) + 1)
            for paragraph in PlainFormats.paragraphs(String(cString: text)) { collector.addParagraph(paragraph) }
        }
    }
}

/// The attachment formats Tributary extracts text from (issue #16). The raw values are the
/// names a datastore lists in `attachments = pdf, docx, …` and `--attachments`.
public enum DocumentFormat: String, Sendable, Codable, CaseIterable, Comparable {
    case pdf
    case docx
    case pptx
    case xlsx
    case odt
    case ods
    case odp
    case text = "txt"
    case markdown = "md"
    case csv
    case json
    case xml
    case html

    public static func < (lhs: DocumentFormat, rhs: DocumentFormat) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The format a file is declared as: its media type first, then its file name's extension;
    /// nil for images and anything else that is recorded but not extracted. The declaration may
    /// lie: the extractor checks the bytes (``ExtractionFailure/Reason/typeMismatch``).
    public static func declared(mediaType: String?, fileName: String) -> DocumentFormat? {
        if let mediaType, let format = byMediaType[essence(ofMediaType: mediaType)] { return format }
        guard let dot = fileName.lastIndex(of: ".") else { return nil }
        let ext = fileName[fileName.index(after: dot)...].lowercased()
        return byExtension[ext]
    }

    private static let byMediaType: [String: DocumentFormat] = [
        "application/pdf": .pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": .docx,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": .pptx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": .xlsx,
        "application/vnd.oasis.opendocument.text": .odt,
        "application/vnd.oasis.opendocument.spreadsheet": .ods,
        "application/vnd.oasis.opendocument.presentation": .odp,
        "text/plain": .text,
        "text/markdown": .markdown,
        "text/x-markdown": .markdown,
        "text/csv": .csv,
        "application/json": .json,
        "application/xml": .xml,
        "text/xml": .xml,
        "text/html": .html,
        "application/xhtml+xml": .html,
    ]

    private static let byExtension: [String: DocumentFormat] = [
        "pdf": .pdf, "docx": .docx, "pptx": .pptx, "xlsx": .xlsx, "odt": .odt, "ods": .ods, "odp": .odp,
        "txt": .text, "text": .text, "log": .text, "md": .markdown, "markdown": .markdown, "csv": .csv,
        "json": .json, "xml": .xml, "html": .html, "htm": .html, "xhtml": .html,
    ]
}

/// A media type's essence: before any `;`, without spaces or tabs, lowercased (no Foundation needed).
private func essence(ofMediaType mediaType: String) -> String {
    let head = mediaType.split(separator: ";", omittingEmptySubsequences: false).first ?? ""
    return String(head.filter { $0 != " " && $0 != "\t" }).lowercased()
}

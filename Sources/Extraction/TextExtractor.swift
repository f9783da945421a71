/// Text extraction from attachments (issue #16), behind one seam: the engine asks a
/// ``TextExtractor`` for a file's text and gets sections or a stated failure. The production
/// extractor runs each file in a separate, limited helper process (`tributary-extract`), so a
/// hostile file can fail only itself.
public protocol TextExtractor: Sendable {
    /// Extracts the text of the file at `path` (a private temporary file the caller deletes),
    /// declared as `format`, within `limits`.
    func extract(path: String, format: DocumentFormat, limits: ExtractionLimits) async throws(ExtractionFailure) -> ExtractedDocument
}

/// What one extraction may use. The byte limit is checked by the caller before download too.
public struct ExtractionLimits: Sendable, Equatable, Codable {
    /// Largest file accepted, in bytes (default 25 MiB).
    public var maxFileBytes: Int
    /// Extracted text beyond this many characters is cut (the document is marked truncated).
    public var maxCharacters: Int
    /// CPU seconds and wall-clock seconds for one file.
    public var cpuSeconds: Int
    public var wallSeconds: Double
    /// Address-space limit of the helper process, in bytes.
    public var memoryBytes: Int

    public static let defaultMaxFileBytes = 25 * 1_048_576
    public static let defaultMaxCharacters = 500_000

    public init(
        maxFileBytes: Int = defaultMaxFileBytes, maxCharacters: Int = defaultMaxCharacters, cpuSeconds: Int = 20,
        wallSeconds: Double = 30, memoryBytes: Int = 512 * 1_048_576
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxCharacters = maxCharacters
        self.cpuSeconds = cpuSeconds
        self.wallSeconds = wallSeconds
        self.memoryBytes = memoryBytes
    }
}

/// A file's text in reading order, cut into the units a citation can name.
public struct ExtractedDocument: Sendable, Equatable, Codable {
    public var format: DocumentFormat
    public var sections: [ExtractedSection]
    /// True when the text was cut at ``ExtractionLimits/maxCharacters``.
    public var truncated: Bool

    public init(format: DocumentFormat, sections: [ExtractedSection], truncated: Bool = false) {
        self.format = format
        self.sections = sections
        self.truncated = truncated
    }

    /// Characters of text in all sections.
    public var characterCount: Int { sections.reduce(0) { $0 + $1.text.unicodeScalars.count } }
}

/// One unit of a document: a PDF page, a slide, a sheet, or a heading's section.
public struct ExtractedSection: Sendable, Equatable, Codable {
    /// The heading a chunk of this section is filed under: "Page 3", "Slide 2: Roadmap",
    /// "Sheet: Budget", or the document's own heading; nil for the lead text.
    public var heading: String?
    /// The PDF page (1-based) this text is on, cited as `#page=N`; nil for other formats.
    public var pageNumber: Int?
    /// Plain text (paragraphs separated by blank lines; table rows as `a | b | c`).
    public var text: String

    public init(heading: String?, pageNumber: Int? = nil, text: String) {
        self.heading = heading
        self.pageNumber = pageNumber
        self.text = text
    }
}

/// Why a file gave no text. `reason.code` is what status counts and `explain` shows.
public struct ExtractionFailure: Error, Sendable, Equatable, Codable {
    public enum Reason: String, Sendable, Equatable, Codable, CaseIterable {
        /// Larger than ``ExtractionLimits/maxFileBytes``.
        case tooLarge = "too_large"
        /// The datastore does not index this format, or it is not a format Tributary extracts.
        case typeNotIndexed = "type_not_indexed"
        /// Password-protected or encrypted.
        case encrypted
        /// The bytes are not the declared format.
        case typeMismatch = "type_mismatch"
        /// Damaged or truncated.
        case corrupt
        /// Inflates past the limits (a ZIP bomb) or would use more memory than allowed.
        case resourceLimit = "resource_limit"
        /// Ran past its CPU or wall-clock limit.
        case timedOut = "timed_out"
        /// The helper crashed or could not run.
        case extractionFailed = "extraction_failed"
        /// No text in it (a scanned PDF without a text layer).
        case noText = "no_text"
    }

    public var reason: Reason
    /// A sentence for `explain`: what happened, never file contents.
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }
}

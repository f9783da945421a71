import Extraction

/// What `tributary-extract` does with one file's bytes: checks that they are the declared format,
/// reads the text with that format's reader, and cuts it at the character limit. Runs inside the
/// sandboxed helper; nothing here is hardened against memory or time (the sandbox bounds those),
/// except ZIP inflation, which is capped explicitly.
public enum DocumentReader {
    /// The text of `bytes` declared as `format`, or why there is none.
    public static func extract(
        _ bytes: [UInt8], format: DocumentFormat, limits: ExtractionLimits
    ) throws(ExtractionFailure) -> ExtractedDocument {
        guard bytes.count <= limits.maxFileBytes else {
            throw ExtractionFailure(.tooLarge, "the file has \(bytes.count) bytes, more than the limit of \(limits.maxFileBytes)")
        }
        guard !bytes.isEmpty else { throw ExtractionFailure(.noText, "the file is empty") }
        var collector = TextCollector(maxCharacters: limits.maxCharacters)
        switch format {
        case .pdf:
            guard hasPDFHeader(bytes) else { throw mismatch(format) }
            try PDFReader.read(bytes, into: &collector)
        case .docx, .pptx, .xlsx, .odt, .ods, .odp:
            if isEncryptedOffice(bytes, format: format) {
                throw ExtractionFailure(.encrypted, "the document is password-protected")
            }
            guard ZipArchive.hasSignature(bytes) else { throw mismatch(format) }
            var archive = try ZipArchive(bytes)
            try checkMainPart(&archive, format: format)
            if [.odt, .ods, .odp].contains(format), let manifest = try archive.read("META-INF/manifest.xml"),
               String(decoding: manifest, as: UTF8.self).contains("encryption-data") {
                throw ExtractionFailure(.encrypted, "the document is password-protected")
            }
            switch format {
            case .docx: try OOXMLReader.readDOCX(&archive, into: &collector)
            case .pptx: try OOXMLReader.readPPTX(&archive, into: &collector)
            case .xlsx: try OOXMLReader.readXLSX(&archive, into: &collector)
            default: try ODFReader.read(&archive, format: format, into: &collector)
            }
        case .text, .markdown, .csv, .json, .xml, .html:
            let text = try decodeText(bytes, format: format)
            switch format {
            case .markdown: PlainFormats.readMarkdown(text, into: &collector)
            case .csv: PlainFormats.readCSV(text, into: &collector)
            case .json: try PlainFormats.readJSON(Array(text.utf8), into: &collector)
            case .xml: try PlainFormats.readXML(Array(text.utf8), into: &collector)
            case .html: try PlainFormats.readHTML(Array(text.utf8), into: &collector)
            default: PlainFormats.readText(text, into: &collector)
            }
        }
        let document = collector.finish(format: format)
        guard document.characterCount > 0 else {
            throw ExtractionFailure(.noText, format == .pdf
                ? "the PDF has no text layer (scanned pages?)" : "the file has no text")
        }
        return document
    }

    private static func mismatch(_ format: DocumentFormat) -> ExtractionFailure {
        ExtractionFailure(.typeMismatch, "the file's bytes are not what its declared type (\(format.rawValue)) says")
    }

    /// A password-protected OOXML file is not a ZIP: Office wraps it in an OLE compound file
    /// with an `EncryptedPackage` stream (MS-OFFCRYPTO).
    static func isEncryptedOffice(_ bytes: [UInt8], format: DocumentFormat) -> Bool {
        let compoundFile: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
        guard [.docx, .pptx, .xlsx].contains(format), bytes.starts(with: compoundFile) else { return false }
        let name = Array("EncryptedPackage".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let window = bytes.prefix(1 << 20)
        guard window.count >= name.count else { return false }
        var index = window.startIndex
        while index <= window.endIndex - name.count {
            if window[index] == name[0], window[index..<(index + name.count)].elementsEqual(name) { return true }
            index += 1
        }
        return false
    }

    /// `%PDF-` within the first KiB (readers tolerate leading junk there).
    static func hasPDFHeader(_ bytes: [UInt8]) -> Bool {
        let marker = Array("%PDF-".utf8)
        let window = bytes.prefix(1_024 + marker.count)
        guard window.count >= marker.count else { return false }
        for start in 0...(window.count - marker.count) where window[start] == marker[0] {
            if Array(window[start..<(start + marker.count)]) == marker { return true }
        }
        return false
    }

    /// The part that makes a ZIP this format: OOXML's main part, ODF's `mimetype`.
    private static func checkMainPart(_ archive: inout ZipArchive, format: DocumentFormat) throws(ExtractionFailure) {
        let mainParts: [DocumentFormat: String] = [
            .docx: "word/document.xml", .pptx: "ppt/presentation.xml", .xlsx: "xl/workbook.xml",
        ]
        if let part = mainParts[format] {
            guard archive.contains(part) else { throw mismatch(format) }
            return
        }
        let mediaTypes: [DocumentFormat: String] = [
            .odt: "application/vnd.oasis.opendocument.text",
            .ods: "application/vnd.oasis.opendocument.spreadsheet",
            .odp: "application/vnd.oasis.opendocument.presentation",
        ]
        guard let declared = try archive.read("mimetype"),
              String(decoding: declared, as: UTF8.self).split(whereSeparator: \.isWhitespace).first.map(String.init) == mediaTypes[format]
        else { throw mismatch(format) }
    }

    /// Text files as UTF-8 (or UTF-16 with a byte-order mark); binary bytes (a NUL, a PDF or ZIP
    /// header) are a type mismatch.
    private static func decodeText(_ bytes: [UInt8], format: DocumentFormat) throws(ExtractionFailure) -> String {
        if bytes.count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
            let littleEndian = bytes[0] == 0xFF
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2)
            var index = 2
            while index + 1 < bytes.count {
                let pair = littleEndian
                    ? UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8 : UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
                units.append(pair)
                index += 2
            }
            return String(decoding: units, as: UTF16.self)
        }
        if hasPDFHeader(Array(bytes.prefix(8))) || ZipArchive.hasSignature(bytes) || bytes.prefix(65_536).contains(0) {
            throw mismatch(format)
        }
        let start = PlainFormats.skipBOM(bytes)
        // CRLF reads as one Character, and line splitting wants "\n": drop each CR before an LF.
        guard bytes.contains(0x0D) else { return String(decoding: bytes[start...], as: UTF8.self) }
        var normalized: [UInt8] = []
        normalized.reserveCapacity(bytes.count)
        for index in start..<bytes.count where !(bytes[index] == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) {
            normalized.append(bytes[index])
        }
        return String(decoding: normalized, as: UTF8.self)
    }
}

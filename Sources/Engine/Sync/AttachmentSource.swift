import Foundation
import Confluence
import Content
import Extraction

/// Where the attachment sweep reads a page's attachments and their files: implemented by the
/// page sources beside ``PageSource`` (the Confluence client in production, in memory in tests).
protocol AttachmentSource: Sendable {
    /// The current attachments of a page (none for a page that is gone).
    func attachments(ofPage pageId: String) async throws(ConfluenceError) -> [Attachment]
    /// Every current attachment of the site's pages in one listing, where the API has one
    /// (Cloud); nil where attachments can only be listed page by page (Data Center).
    func siteAttachments() async throws(ConfluenceError) -> [Attachment]?
    /// Downloads one attachment to a private file at `path`, stopping past `maxBytes`.
    func download(_ attachment: Attachment, to path: String, maxBytes: Int) async throws(ConfluenceError) -> AttachmentDownload
}

extension ConfluencePageSource: AttachmentSource {
    func attachments(ofPage pageId: String) async throws(ConfluenceError) -> [Attachment] {
        try await client().attachments(ofPage: pageId)
    }

    func download(_ attachment: Attachment, to path: String, maxBytes: Int) async throws(ConfluenceError) -> AttachmentDownload {
        try await client().download(attachment, to: path, maxBytes: maxBytes)
    }

    func siteAttachments() async throws(ConfluenceError) -> [Attachment]? {
        try await client().siteAttachments()
    }
}

/// An extracted file as a document the chunker takes: one section per extracted section, its
/// heading (page, slide, sheet) as a level-1 heading, and `page=N` as the anchor of a PDF page,
/// so a hit's citation opens the file at that page.
enum AttachmentDocument {
    static func document(title: String, from extracted: ExtractedDocument) -> Document {
        let sections = extracted.sections.compactMap { section -> Section? in
            let paragraphs = section.text.components(separatedBy: "\n\n")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            guard !paragraphs.isEmpty || section.heading != nil else { return nil }
            let anchor = section.pageNumber.map { "page=\($0)" } ?? ""
            let heading = section.heading ?? ""
            return Section(heading: heading, level: heading.isEmpty ? 0 : 1, anchor: anchor,
                           headingPath: heading.isEmpty ? [] : [heading], blocks: paragraphs.map { .paragraph($0) })
        }
        return Document(title: title, sections: sections)
    }

    /// The PDF page of a chunk anchor made by ``document(title:from:)``.
    static func pageNumber(ofAnchor anchor: String) -> Int? {
        guard anchor.hasPrefix("page=") else { return nil }
        return Int(anchor.dropFirst(5))
    }
}

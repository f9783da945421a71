import Answering
import Control
import Engine

/// Attachments on the control surface: status counts, `explain` rows and citations.
extension EngineBackend {
    static func attachmentStatus(_ counts: AttachmentCounts) -> AttachmentStatus {
        AttachmentStatus(discovered: counts.indexed + counts.failed + counts.skippedByReason.values.reduce(0, +),
                         indexed: counts.indexed, skippedByReason: counts.skippedByReason, failed: counts.failed,
                         pending: counts.pending)
    }

    static func attachmentExplanation(_ entry: AttachmentEntry) -> AttachmentExplanation {
        AttachmentExplanation(id: entry.id, title: entry.title, disposition: entry.disposition.rawValue, reason: entry.reason,
                              message: entry.message, version: entry.version, chunks: entry.chunks)
    }

    static func passageAttachment(_ citation: AttachmentCitation) -> PassageAttachment {
        PassageAttachment(id: citation.id, title: citation.title, url: citation.url, mediaType: citation.mediaType,
                          pageNumber: citation.pageNumber)
    }

    static func attachmentCitation(_ attachment: PassageAttachment) -> AttachmentCitation {
        AttachmentCitation(id: attachment.id, title: attachment.title, url: attachment.url, mediaType: attachment.mediaType,
                           pageNumber: attachment.pageNumber)
    }
}

extension SearchHit {
    /// This hit as a passage of `attachment`: its page fields become the parent page's.
    func citingAttachment(_ attachment: AttachmentHit?) -> SearchHit {
        guard let attachment else { return self }
        var hit = self
        hit.pageId = attachment.pageId
        hit.title = attachment.pageTitle
        hit.anchor = nil
        hit.contentType = "attachment"
        // The passage's place line starts at the page: `Page › file.pdf › Page 2`.
        if !attachment.pageTitle.isEmpty { hit.text = hit.text.map { attachment.pageTitle + " › " + $0 } }
        hit.attachment = AttachmentCitation(id: attachment.id, title: attachment.title, url: attachment.url,
                                            mediaType: attachment.mediaType, pageNumber: attachment.pageNumber)
        return hit
    }
}

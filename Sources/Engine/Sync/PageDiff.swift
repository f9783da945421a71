import Confluence
import Foundation
import Search
import Storage

/// The diff of a listed page against its manifest entry: what the page becomes (skipped by a
/// filter, left alone when its version and comments are indexed already, otherwise pending),
/// written into the manifest, with the index entries of a page that became skipped removed in
/// the same transaction. `labels` nil means unknown this cycle: the entry keeps the labels it
/// had. Labels and the last-modified time are metadata: a change of them alone rewrites the
/// entry but never sends the page back for processing (Confluence does not bump the version
/// when labels change). No timestamp decides what changed: only version numbers and presence.
struct PageDiff: Sendable {
    let datastore: UInt64
    let manifest: ManifestRepository
    let index: SearchIndex

    /// What the diff makes of a listed page: skipped by a filter, left alone when its version
    /// and comments (`comments`: the page's digest in ``CommentSurvey``) are indexed already,
    /// otherwise pending.
    static func disposition(of page: Page, old: ManifestEntry?, filter: PageFilter, excludedLabels: [String],
                            comments: String?) -> PageDisposition {
        if filter.skipReason(title: page.title, excludedLabelsOnPage: excludedLabels) != nil { return .skipped }
        if let old, old.disposition == .indexed, old.versionIndexed == page.version, old.commentsIndexed == comments { return .indexed }
        return .pending
    }

    /// What ``apply(_:spaceKey:cycle:filter:labels:excludedLabels:comments:txn:deferPending:)`` made of a page.
    struct Applied {
        /// The entry before, nil for a page new to the manifest.
        var old: ManifestEntry?
        /// The entry after the diff.
        var entry: ManifestEntry
        /// False when the entry is pending and was left for the caller to write (`deferPending`).
        var written: Bool
        var disposition: PageDisposition { entry.disposition }
    }

    /// With `deferPending`, a pending entry is not written: the caller writes it, or the entry
    /// its indexing makes of it, once (see ``IndexCommit/write(_:txn:now:tokenizer:staged:)``).
    @discardableResult
    func apply(_ page: Page, spaceKey: String, cycle: UInt64, filter: PageFilter, labels: [String]?,
               excludedLabels: [String], comments: String?, txn: WriteTransaction, deferPending: Bool = false) throws -> Applied {
        let old = try manifest.page(txn, datastore: datastore, pageId: page.id)
        var entry = old ?? ManifestEntry(pageId: page.id, title: page.title, spaceKey: spaceKey, parentId: page.parentId,
                                         status: page.status.rawValue, versionSeen: page.version, seenInCycle: cycle,
                                         webui: page.webui)
        entry.title = page.title
        entry.spaceKey = spaceKey
        entry.parentId = page.parentId
        entry.status = page.status.rawValue
        if entry.versionSeen != page.version {
            entry.failures = 0
            entry.lastModified = nil  // the old version's time, unless the listing says
        }
        if let modified = page.lastModified { entry.lastModified = Int64((modified.timeIntervalSince1970 * 1000).rounded()) }
        if let labels { entry.labels = labels }
        entry.versionSeen = page.version
        entry.seenInCycle = cycle
        if let webui = page.webui { entry.webui = webui }
        entry.contentType = ContentListings.manifestType(page)
        entry.commentsSeen = comments

        if let reason = filter.skipReason(title: page.title, excludedLabelsOnPage: excludedLabels) {
            if entry.versionIndexed != nil { try removeFromIndex(page.id, txn: txn) }
            entry.disposition = .skipped
            entry.reason = reason
            entry.forgetIndexedContent()
        } else if entry.disposition == .indexed, entry.versionIndexed == page.version, entry.commentsIndexed == comments {
            // Unchanged content; a move or a new web link only updates the manifest, which is
            // where citations take their URL from.
        } else {
            entry.disposition = .pending
            entry.reason = nil
        }
        if deferPending, entry.disposition == .pending { return Applied(old: old, entry: entry, written: false) }
        if entry != old { try manifest.put(txn, datastore: datastore, old: old, new: entry) }
        return Applied(old: old, entry: entry, written: true)
    }

    /// Removes a page's chunks and postings (it left the scope or became skipped).
    func removeFromIndex(_ pageId: String, txn: WriteTransaction) throws {
        try index.removePage(pageId, datastore: datastore, in: txn)
    }
}

import Confluence
import Content
import Extraction
import Foundation
import InputLimits
import Logging
import Search
import Storage

/// The attachments of a datastore's pages (issue #16), reconciled once per cycle after the
/// pages, in page-id order: each page's attachments listed, the changed ones downloaded and
/// extracted, then the page's attachment documents, their records, the credit debit and the
/// sweep position committed in one write transaction. A crash resumes at the page after the
/// last committed one; a version is charged once however often it is replayed.
///
/// Listing: on Cloud one site-wide listing (`GET /api/v2/attachments`, 250 a request) per cycle
/// serves every page, so a space costs ⌈attachments / 250⌉ requests plus one download per new
/// version. It reads the database like the page listings do; a CQL `type=attachment` search
/// would be as cheap but lags behind edits (the search index). Data Center has no such
/// listing: there each indexed page's `/content/{id}/child/attachment` is read, in steps of
/// ``pagesPerJob`` pages.
///
/// An attachment is fetched again only when its version changes (or a failure is retried);
/// attachments gone from the listing, and all attachments of a page that is no longer indexed,
/// leave the index in the same cycle.
struct AttachmentSweep {
    let datastore: UInt64
    let store: Store
    let datastores: DatastoreRepository
    let manifest: ManifestRepository
    let attachments: AttachmentRepository
    let index: SearchIndex
    let ledger: CreditLedger
    let pageSources: PageSourceOpener
    let options: EngineOptions
    let clock: any EngineClock
    let logger: Logger
    let changed: @Sendable (UInt64) -> Void

    /// Pages a job reconciles before it hands over (each costs a listing request at least).
    static let pagesPerJob = 25

    /// Steps of processing the sweep adds to a cycle (it counts as one in the progress total):
    /// 1, or 0 when the datastore indexes no attachments and holds none.
    static func pagesToSweep(_ txn: ReadTransaction, attachments: AttachmentRepository, record: DatastoreRecord) throws -> Int {
        if !record.configuration.content.attachmentFormats.isEmpty { return 1 }
        var holdsAny = false
        try txn.forEach(in: attachments.entries, .prefix(datastoreKeyPrefix(record.id))) { _, _ in
            holdsAny = true
            return .stop
        }
        return holdsAny ? 1 : 0
    }

    /// One step of the sweep: `.more` while pages remain, `.finished` when every page was
    /// reconciled this cycle.
    func run(record: DatastoreRecord, site: ConfluenceSite) async throws(SyncFailure) -> BatchProcessor.Outcome {
        let state = try storage {
            try store.read { txn -> AttachmentSweepState in
                let state = try attachments.sweep(txn, datastore: datastore)
                return state?.cycle == record.cycle ? state! : AttachmentSweepState(cycle: record.cycle, after: nil, done: false)
            }
        }
        if state.done { return .finished }
        let source = try pageSources.source(for: record, site: site)
        let attachmentSource = source as? any AttachmentSource
        // One site-wide listing serves every page of this job, where the API has one.
        var siteListing: [String: [Attachment]]?
        if !record.configuration.content.attachmentFormats.isEmpty, let attachmentSource {
            do throws(ConfluenceError) {
                siteListing = try await attachmentSource.siteAttachments().map { Dictionary(grouping: $0, by: \.pageId) }
            } catch {
                throw SyncFailure(error)
            }
        }
        var after = state.after
        // Page by page (Data Center) each page costs a listing request: a job hands over after
        // a step. Otherwise only pages the listing names or that hold attachments can change,
        // and the job reconciles just those, to the end (a sweep used to read every page of the
        // manifest and commit a step per 25 pages even when the datastore indexes no attachments).
        let pageByPage = siteListing == nil && !record.configuration.content.attachmentFormats.isEmpty
        let candidates: [String]? = pageByPage ? nil : try storage {
            try store.read { try candidatePages($0, listed: siteListing, after: after) }
        }
        var nextCandidate = 0
        while true {
            let pages: [(pageId: String, entry: ManifestEntry?)]
            if let candidates {
                let step = candidates[nextCandidate..<min(candidates.count, nextCandidate + 1_000)]
                nextCandidate += step.count
                pages = try storage {
                    try store.read { txn in try step.map { ($0, try manifest.page(txn, datastore: datastore, pageId: $0)) } }
                }
            } else {
                pages = try storage { try store.read { try nextPages($0, after: after, count: Self.pagesPerJob) } }.map { ($0.pageId, $0) }
            }
            if pages.isEmpty {
                try finish(record: record, after: after)
                return .finished
            }
            for page in pages {
                let plan = try await reconcile(pageId: page.pageId, entry: page.entry, record: record, site: site,
                                               source: attachmentSource, listed: siteListing)
                after = page.pageId
                // A page whose attachments are as indexed costs no transaction (a crash re-reads it).
                if plan.isEmpty { continue }
                switch try commit(plan, pageId: page.pageId, record: record) {
                case .written: continue
                case .insufficientCredits(let needed): return .insufficientCredits(neededMillicredits: needed)
                }
            }
            if pageByPage {
                try storage {
                    try store.write { txn in
                        guard let current = try datastores.record(txn, datastore), current.cycle == record.cycle else { throw SyncFailure.abandoned }
                        try attachments.putSweep(txn, datastore: datastore, AttachmentSweepState(cycle: record.cycle, after: after, done: false))
                    }
                }
                return .more
            }
        }
    }

    /// The pages a sweep without page-by-page listing visits after `after`, in the manifest's
    /// key order (page-id bytes): those of this datastore the site-wide listing names (it
    /// covers the whole site) and those holding attachment records (whose files may be gone,
    /// or no longer wanted, also when their page left the manifest).
    private func candidatePages(_ txn: ReadTransaction, listed: [String: [Attachment]]?, after: String?) throws -> [String] {
        var pages = Set<String>()
        for pageId in listed.map({ Array($0.keys) }) ?? [] where try manifest.contains(txn, datastore: datastore, pageId: pageId) {
            pages.insert(pageId)
        }
        try txn.forEach(in: attachments.entries, .prefix(datastoreKeyPrefix(datastore))) { key, _ in
            pages.insert(key.pageId)
            return .continue
        }
        return pages.filter { page in after.map { $0.utf8.lexicographicallyPrecedes(page.utf8) } ?? true }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// After the sweep used all its attempts: it ends for this cycle (the attachments keep what
    /// they had and are tried again next cycle), so the cycle can finish.
    func giveUp(_ txn: WriteTransaction, record: inout DatastoreRecord) throws {
        let state = try attachments.sweep(txn, datastore: record.id)
        guard state?.cycle != record.cycle || state?.done == false else { return }
        try attachments.putSweep(txn, datastore: record.id,
                                 AttachmentSweepState(cycle: record.cycle, after: state?.cycle == record.cycle ? state?.after : nil, done: true))
        record.phaseDone += 1
    }

    /// Marks this cycle's sweep done: one step of progress.
    private func finish(record: DatastoreRecord, after: String?) throws(SyncFailure) {
        try storage {
            try store.write { txn in
                guard var current = try datastores.record(txn, datastore), current.cycle == record.cycle else { throw SyncFailure.abandoned }
                try attachments.putSweep(txn, datastore: datastore, AttachmentSweepState(cycle: record.cycle, after: after, done: true))
                current.phaseDone += 1
                try datastores.put(txn, current)
            }
        }
        changed(datastore)
    }

    // MARK: Planning (network and CPU, no transaction)

    /// What one page's attachments become.
    struct Plan {
        /// Records to store (new, changed or unchanged-but-renamed).
        var put: [AttachmentEntry] = []
        /// Records to drop with their index documents.
        var remove: [AttachmentEntry] = []
        /// Index documents to write, replacing what they had.
        var updates: [PageUpdate] = []
        /// Index documents to remove.
        var clear: Set<String> = []
        /// Indexed attachments: (document id, version, tokens) to charge.
        var charges: [(String, Int, Int)] = []
        /// Nothing was listed (a transient failure of a non-essential request): the page is skipped this cycle.
        var untouched = false

        /// Nothing to write.
        var isEmpty: Bool { put.isEmpty && remove.isEmpty && updates.isEmpty && clear.isEmpty && charges.isEmpty }
    }

    /// `listed`: the site-wide listing by page id, when there is one. `entry`: the page's
    /// manifest entry (nil: the page left the manifest, and its attachments go).
    private func reconcile(pageId: String, entry: ManifestEntry?, record: DatastoreRecord, site: ConfluenceSite,
                           source: (any AttachmentSource)?, listed siteListing: [String: [Attachment]]?) async throws(SyncFailure) -> Plan {
        let content = record.configuration.content
        let existing = try storage { try store.read { try attachments.attachments($0, datastore: datastore, pageId: pageId) } }
        var plan = Plan()
        let listed: [Attachment]
        switch entry?.disposition {
        case .indexed where !content.attachmentFormats.isEmpty:
            if let siteListing {
                listed = siteListing[pageId] ?? []
                break
            }
            guard let source else {
                listed = []
                break
            }
            do throws(ConfluenceError) {
                listed = try await source.attachments(ofPage: pageId)
            } catch {
                let failure = SyncFailure(error)
                if case .permanent = failure {
                    // This page's attachments cannot be read (e.g. a permission): keep what is
                    // indexed and go on with the other pages.
                    logger.warning("could not list the attachments of page \(pageId): \(error.message)",
                                   metadata: ["datastore": "\(record.configuration.name)", "page_id": "\(pageId)"])
                    plan.untouched = true
                    return plan
                }
                throw failure
            }
        case .failed where !content.attachmentFormats.isEmpty, .pending where !content.attachmentFormats.isEmpty:
            // Its body failed: what its attachments had stays until the page is processed again.
            plan.untouched = true
            return plan
        default:
            listed = []
        }
        let byId = Dictionary(existing.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let listedIds = Set(listed.map(\.id))
        plan.remove = existing.filter { !listedIds.contains($0.id) }
        plan.clear.formUnion(plan.remove.filter { $0.versionIndexed != nil }.map(\.documentId))
        let decided = Self.decisionKey(content, extractor: options.extractor)
        let chunker = Chunker(options: options.chunking)
        for attachment in listed {
            let old = byId[attachment.id]
            var entry = AttachmentEntry(
                id: attachment.id, pageId: pageId, title: attachment.title, mediaType: attachment.mediaType,
                fileSize: attachment.fileSize, version: attachment.version, versionIndexed: old?.versionIndexed,
                disposition: old?.disposition ?? .failed, reason: old?.reason, message: old?.message,
                downloadPath: attachment.downloadPath, chunks: old?.chunks ?? 0, tokens: old?.tokens ?? 0,
                lastModified: attachment.createdAt.map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) },
                decidedUnder: decided)
            if let old, old.version == attachment.version, old.disposition != .failed, old.decidedUnder == decided {
                // Same version, same limits: nothing to fetch (a new name or link is kept).
                entry.disposition = old.disposition
                if entry != old { plan.put.append(entry) }
                continue
            }
            let outcome = try await fetch(attachment, content: content, source: source)
            switch outcome {
            case .skipped(let reason, let message), .failed(let reason, let message):
                if case .failed = outcome { entry.disposition = .failed } else { entry.disposition = .skipped }
                entry.reason = reason
                entry.message = message
                if old?.versionIndexed != nil { plan.clear.insert(entry.documentId) }
                entry.versionIndexed = nil
                entry.chunks = 0
                entry.tokens = 0
            case .extracted(let extracted):
                let document = AttachmentDocument.document(title: attachment.title, from: extracted)
                var chunks = chunker.chunks(of: document, pageID: entry.documentId)
                if chunks.isEmpty {
                    chunks = [Chunk(pageID: entry.documentId, ordinal: 0, sectionIndex: nil, headingPath: [], anchor: "",
                                    text: attachment.title, wordCount: 1)]
                }
                let tokens = chunks.reduce(0) { $0 + $1.wordCount }
                entry.disposition = .indexed
                entry.reason = extracted.truncated ? "truncated" : nil
                entry.message = extracted.truncated ? "the text was cut at \(content.maxAttachmentCharacters) characters" : nil
                entry.versionIndexed = attachment.version
                entry.chunks = chunks.count
                entry.tokens = tokens
                let url = attachment.downloadPath.map { Self.downloadURL($0, site: site) } ?? ""
                plan.updates.append(PageUpdate(page: IndexedPage(pageID: entry.documentId, title: attachment.title, urlHint: url),
                                               chunks: chunks, text: PageText(document: document)))
                plan.charges.append((entry.documentId, attachment.version, tokens))
            }
            plan.put.append(entry)
        }
        return plan
    }

    private enum Fetched {
        case extracted(ExtractedDocument)
        case skipped(reason: String, message: String)
        case failed(reason: String, message: String)
    }

    /// Decides without downloading where it can (type, declared size), else downloads to a
    /// private temporary file and extracts it.
    private func fetch(_ attachment: Attachment, content: ContentSelection, source: (any AttachmentSource)?)
        async throws(SyncFailure) -> Fetched {
        guard let format = DocumentFormat.declared(mediaType: attachment.mediaType, fileName: attachment.title),
              content.attachmentFormats.contains(format) else {
            return .skipped(reason: ExtractionFailure.Reason.typeNotIndexed.rawValue,
                            message: "\(attachment.mediaType ?? "this type") is not among the attachment types this datastore indexes")
        }
        if let size = attachment.fileSize, size > content.maxAttachmentBytes {
            return .skipped(reason: ExtractionFailure.Reason.tooLarge.rawValue,
                            message: "\(size) bytes, above the \(content.maxAttachmentBytes)-byte limit")
        }
        guard let source, let extractor = options.extractor else {
            return .failed(reason: ExtractionFailure.Reason.extractionFailed.rawValue, message: "this daemon has no text extractor")
        }
        let path = NSTemporaryDirectory() + "/tributary-attachment-\(UUID().uuidString)"
        defer { unlink(path) }
        do throws(ConfluenceError) {
            if case .tooLarge(let limit) = try await source.download(attachment, to: path, maxBytes: content.maxAttachmentBytes) {
                return .skipped(reason: ExtractionFailure.Reason.tooLarge.rawValue,
                                message: "larger than the \(limit)-byte limit (the download was stopped)")
            }
        } catch {
            switch error.kind {
            case .cancelled: throw .abandoned
            // The site is struggling: the job is retried with back-off, as for pages.
            case .unavailable, .rateLimited, .truncatedResponse: throw SyncFailure(error)
            default: return .failed(reason: "download_failed", message: error.message)
            }
        }
        let limits = ExtractionLimits(maxFileBytes: content.maxAttachmentBytes, maxCharacters: content.maxAttachmentCharacters)
        do throws(ExtractionFailure) {
            let extracted = try await extractor.extract(path: path, format: format, limits: limits)
            guard extracted.characterCount > 0 else {
                return .skipped(reason: ExtractionFailure.Reason.noText.rawValue, message: "the file has no text")
            }
            return .extracted(extracted)
        } catch {
            if Task.isCancelled { throw .abandoned }
            // A crash of the helper may not recur: tried again next cycle. Anything else is the file's own.
            if error.reason == .extractionFailed { return .failed(reason: error.reason.rawValue, message: error.message) }
            return .skipped(reason: error.reason.rawValue, message: error.message)
        }
    }

    // MARK: Commit

    private enum Committed {
        case written
        case insufficientCredits(Int64)
    }

    private func commit(_ plan: Plan, pageId: String, record: DatastoreRecord) throws(SyncFailure) -> Committed {
        let prepared: PreparedPages?
        if plan.updates.isEmpty {
            prepared = nil
        } else {
            do {
                prepared = try index.prepare(plan.updates, tokenizer: try Tokenizer())
            } catch {
                throw .transient("indexing: \(error)")
            }
        }
        let now = clock.nowMillis
        let result: Committed = try storage {
            try store.write { txn -> Committed in
                guard let current = try datastores.record(txn, datastore), current.cycle == record.cycle,
                      current.state == .processing else { throw SyncFailure.abandoned }
                let policy = try ledger.policy(txn)
                var cost: Int64 = 0
                for (documentId, version, tokens) in plan.charges
                where try !ledger.isCharged(txn, datastore: datastore, pageId: documentId, version: version) {
                    cost = Saturating.add(cost, policy.cost(tokens: tokens))
                }
                if case .insufficient(let needed) = try ledger.authorize(txn, cost: cost, now: now) {
                    return .insufficientCredits(needed)
                }
                for documentId in plan.clear { try index.removePage(documentId, datastore: datastore, in: txn) }
                if let prepared { try index.apply(prepared, datastore: datastore, in: txn) }
                for entry in plan.remove { try attachments.remove(txn, datastore: datastore, entry) }
                for entry in plan.put { try attachments.put(txn, datastore: datastore, entry) }
                for (documentId, version, tokens) in plan.charges {
                    _ = try ledger.charge(txn, datastore: datastore, pageId: documentId, version: version, tokens: tokens, now: now)
                }
                try attachments.putSweep(txn, datastore: datastore,
                                         AttachmentSweepState(cycle: record.cycle, after: pageId, done: false))
                return .written
            }
        }
        changed(datastore)
        return result
    }

    // MARK: Helpers

    /// The next `count` pages after `after` in page-id order.
    private func nextPages(_ txn: ReadTransaction, after: String?, count: Int) throws -> [ManifestEntry] {
        var result: [ManifestEntry] = []
        try manifest.forEach(txn, datastore: datastore, after: after) { entry in
            result.append(entry)
            return result.count >= count ? .stop : .continue
        }
        return result
    }

    /// What a skip depends on: the limits and the extractor (another one may read what this
    /// one could not). When they change, skipped attachments are decided again.
    static func decisionKey(_ content: ContentSelection, extractor: (any TextExtractor)?) -> String {
        let reader = extractor.map { String(describing: type(of: $0)) } ?? "none"
        return "\(content.attachmentNames.joined(separator: ","))|\(content.maxAttachmentBytes)|\(content.maxAttachmentCharacters)|\(reader)"
    }

    /// An attachment's download URL on `site`.
    static func downloadURL(_ path: String, site: ConfluenceSite) -> String {
        path.hasPrefix("http://") || path.hasPrefix("https://") ? path : site.baseURL + path
    }
}

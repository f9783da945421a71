import Confluence
import Foundation
import Logging
import Search
import Storage

/// One metadata cycle of a datastore: list every page without bodies, batch by batch, and diff
/// each batch against the manifest in one write transaction. Only after the listing completed
/// are pages that were not seen removed, so an interrupted listing never deletes anything.
/// No timestamp decides what changed: only version numbers and presence.
///
/// With `spaces = *` the spaces themselves are listed first (by ``SiteAccess/connect(_:credentials:)``,
/// completely, or the cycle does not start): pages of a space that is no longer listed are simply
/// not seen, so they are removed like any other page that left the scope, in the same cycle.
struct MetadataSync {
    let datastore: UInt64
    let store: Store
    let datastores: DatastoreRepository
    let manifest: ManifestRepository
    /// Read to tell whether the cycle leaves attachments to sweep.
    let attachments: AttachmentRepository
    /// Pages that leave the scope leave the manifest's dispositions and the index through it.
    let diff: PageDiff
    let lifecycle: LifecycleApplier
    let pageSources: PageSourceOpener
    let estimate: CreditEstimate
    /// What each space's listing writes through (handed on, not used here).
    let listing: SpaceListing.Services
    let clock: any EngineClock
    let logger: Logger
    let changed: @Sendable (UInt64) -> Void

    enum Outcome {
        /// Pages wait for processing.
        case process(pending: Int)
        /// Nothing to process: the datastore is ready.
        case ready
    }

    func run() async throws(SyncFailure) -> Outcome {
        guard let record = try storage({ try store.read { try datastores.record($0, datastore) } }) else { throw .abandoned }
        let configuration = record.configuration
        let source = try pageSources.source(for: record, site: nil)
        let scope = try await source.connect()
        let spaces = scope.spaces

        // Most of the space to (re)index: list it with bodies and index straight from the listing.
        let bodies = try storage { try store.read { txn in try Self.listsWithBodies(txn, manifest: manifest, record: record) } }

        // Start the cycle (through the lifecycle: a paused datastore refuses it; the
        // transition is logged after the commit, never inside the transaction).
        let now = clock.nowMillis
        let started: AfterCommit = try storage {
            try store.write { txn in
                guard let current = try datastores.record(txn, datastore) else { throw SyncFailure.abandoned }
                return try lifecycle.apply(txn, record: current, .cycleStarted(site: scope.site), now: now)
            }
        }
        started.perform(logger: logger, changed: changed)
        let cycle = started.record.cycle

        // Labels (and with them the pages carrying an excluded label), without a request per page,
        // surveyed beside the listing: each batch waits for the survey only before it is diffed.
        // When no label is excluded they are display metadata: on Cloud the cycle neither waits
        // for nor spends requests on them (``LabelRefresh`` surveys them once it reached ready),
        // and entries keep the labels last known.
        let surveyed = SurveyResult()
        let inCycle = LabelRefresh.surveysInCycle(configuration, flavor: scope.site.flavor)
        if !inCycle { surveyed.set(LabelSurvey()) }
        let survey = Task { () async -> Result<LabelSurvey, SyncFailure> in
            guard inCycle else { return .success(LabelSurvey()) }
            do throws(SyncFailure) {
                let result = try await source.labelSurvey(spaces: spaces, configuration: configuration)
                surveyed.set(result)
                return .success(result)
            } catch {
                return .failure(error)
            }
        }
        defer { survey.cancel() }

        // Which pages' comments changed, before their diff (nil: the datastore indexes none).
        let comments = try await CommentSurvey.run(source, spaces: spaces, scope: configuration.content.comments)
        let filter = PageFilter(configuration)
        var statuses: Set<PageStatus> = [.current]
        if configuration.includeArchived { statuses.insert(.archived) }
        let spaceListing = SpaceListing(services: listing, cycle: cycle, filter: filter, site: scope.site, bodies: bodies, survey: survey,
                                        surveyed: surveyed, comments: comments,
                                        fetch: ContentFetch(source: source, scope: configuration.content.comments))
        var listed = 0
        var firstSeen = 0
        var times = ListingTimes()
        var creditsShort = false
        var unlabelled: [(Page, String)] = []
        // Spaces listed at connect that were gone by the time their pages were listed.
        var vanished: Set<String> = []
        // Each space's pages, then its blog posts.
        for (space, cursor) in ContentListings.cursors(source, spaces: spaces, statuses: statuses, bodies: bodies, configuration: configuration)
        where !vanished.contains(space.key) {
            switch try await spaceListing.run(cursor, space: space, vanishes: configuration.includesAllSpaces, creditsShort: creditsShort) {
            case .listed(let pages, let short, let withoutLabels, let seen, let spent):
                listed += pages
                firstSeen += seen
                times.add(spent)
                creditsShort = short
                unlabelled += withoutLabels.map { ($0, space.key) }
            case .vanished:
                // Deleted or hidden since the space listing: out of scope, like an unlisted space.
                vanished.insert(space.key)
                logger.notice("space \(space.key) disappeared while \(configuration.name) was listing it; its pages are removed",
                              metadata: ["datastore": "\(configuration.name)", "space": "\(space.key)"])
            }
        }
        // A survey that failed after the last batch still fails the cycle (an excluded label).
        switch await survey.value {
        case .failure(let error): throw error
        case .success(let labels): try applyLabels(labels, to: unlabelled, cycle: cycle)
        }

        try finishListing(cycle: cycle, configuration: configuration, vanishedSpaces: vanished, firstSeen: firstSeen)
        let (pending, attachmentPages) = try storage {
            try store.read { txn in
                (try manifest.counts(txn, datastore: datastore).pending,
                 try AttachmentSweep.pagesToSweep(txn, attachments: attachments, record: record))
            }
        }
        let spacesListed = spaces.count - vanished.count
        logger.info("listed \(listed) pages in \(spacesListed) spaces of \(configuration.name)\(bodies ? " with bodies" : ""); \(pending) to process",
                    metadata: ["datastore": "\(configuration.name)", "pages_listed": "\(listed)", "pages_pending": "\(pending)",
                               "spaces_listed": "\(spacesListed)", "with_bodies": "\(bodies)"].merging(times.metadata) { first, _ in first })
        return pending + attachmentPages > 0 ? .process(pending: pending + attachmentPages) : .ready
    }

    /// Whether a cycle lists with bodies: when most of the space is to be (re)indexed (a first
    /// sync not completed yet, an empty manifest, or at least half of it pending, as after an
    /// index rebuild). Otherwise the cheap metadata listing, and processing fetches the changed
    /// bodies by id.
    static func listsWithBodies(_ txn: ReadTransaction, manifest: ManifestRepository, record: DatastoreRecord) throws -> Bool {
        if record.lastSyncCompleted == nil { return true }
        let counts = try manifest.counts(txn, datastore: record.id)
        return counts.discovered == 0 || counts.pending * 2 >= counts.discovered
    }

    /// Labels for the pages committed before the survey finished, in bounded transactions
    /// (labels are metadata: the pages' dispositions stay as they are).
    private func applyLabels(_ survey: LabelSurvey, to pages: [(Page, String)], cycle: UInt64) throws(SyncFailure) {
        for start in stride(from: 0, to: pages.count, by: 1_000) {
            try storage {
                try store.write { txn in
                    guard let current = try datastores.record(txn, datastore), current.cycle == cycle else { throw SyncFailure.abandoned }
                    for (offset, (page, _)) in pages[start..<min(start + 1_000, pages.count)].enumerated() {
                        // One lookup a page, each far from the last: keep few of them resident.
                        if offset % ManifestRepository.releaseEvery == ManifestRepository.releaseEvery - 1 { txn.releaseResidentMapPages() }
                        guard let labels = survey.labels(of: page),
                              let old = try manifest.page(txn, datastore: datastore, pageId: page.id), old.labels != labels else { continue }
                        var entry = old
                        entry.labels = labels
                        try manifest.put(txn, datastore: datastore, old: old, new: entry)
                    }
                }
            }
            store.releaseResidentMapPages()
        }
    }

    /// After a complete listing: removes pages that were not seen (or whose space vanished
    /// part-way through its listing), applies page-tree scope, and records the estimate. Runs
    /// in bounded transactions; running it twice is harmless.
    /// `firstSeen`: entries this cycle's listing saw (each once); when that is every entry of
    /// the manifest and nothing else narrows the scope, nothing can be unseen and the scan is
    /// skipped (a first sync, most cycles).
    private func finishListing(cycle: UInt64, configuration: DatastoreConfiguration, vanishedSpaces: Set<String>,
                               firstSeen: Int) throws(SyncFailure) {
        try storage {
            // What to change, gathered in a read snapshot first (never scan a table while writing it).
            var changes: [(String, PageDisposition, String?)] = []
            var parents: [String: String] = [:]
            let everySeen = try vanishedSpaces.isEmpty && configuration.rootPageIds.isEmpty && store.read { txn in
                try manifest.counts(txn, datastore: datastore).entries == firstSeen
            }
            if !everySeen { try store.read { txn in
                try manifest.forEach(txn, datastore: datastore) { entry in
                    if entry.seenInCycle != cycle || vanishedSpaces.contains(entry.spaceKey) {
                        if entry.disposition != .deleted {
                            changes.append((entry.pageId, .deleted, "not_listed"))
                        }
                    } else if !configuration.rootPageIds.isEmpty {
                        parents[entry.pageId] = entry.parentId ?? ""
                    }
                    return .continue
                }
            } }
            if !configuration.rootPageIds.isEmpty {
                let roots = Set(configuration.rootPageIds)
                var inScope: [String: Bool] = [:]
                func isInScope(_ id: String) -> Bool {
                    var path: [String] = []
                    var current = id
                    var result = false
                    while true {
                        if let known = inScope[current] { result = known; break }
                        if roots.contains(current) { result = true; break }
                        path.append(current)
                        guard let parent = parents[current], !parent.isEmpty, path.count < 10_000 else { break }
                        current = parent
                    }
                    for visited in path { inScope[visited] = result }
                    return result
                }
                for id in parents.keys where !isInScope(id) {
                    changes.append((id, .skipped, "outside_page_trees"))
                }
            }
            for slice in stride(from: 0, to: changes.count, by: 500) {
                try store.write { txn in
                    guard try datastores.record(txn, datastore) != nil else { throw SyncFailure.abandoned }
                    for (pageId, disposition, reason) in changes[slice..<min(slice + 500, changes.count)] {
                        guard let old = try manifest.page(txn, datastore: datastore, pageId: pageId) else { continue }
                        if old.disposition == .skipped, disposition == .skipped, old.reason == reason { continue }
                        var entry = old
                        if entry.versionIndexed != nil { try diff.removeFromIndex(pageId, txn: txn) }
                        entry.disposition = disposition
                        entry.reason = reason
                        entry.forgetIndexedContent()
                        try manifest.put(txn, datastore: datastore, old: old, new: entry)
                    }
                }
            }
            try store.write { txn in
                guard var record = try datastores.record(txn, datastore) else { throw SyncFailure.abandoned }
                record.estimatedMillicredits = try estimate.millicredits(txn, datastore: datastore)
                try datastores.put(txn, record)
            }
        }
        store.releaseResidentMapPages()
        changed(datastore)
    }

    static func cqlEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

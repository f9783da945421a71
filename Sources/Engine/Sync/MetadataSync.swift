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
    let core: EngineCore
    let datastore: UInt64

    enum Outcome {
        /// Pages wait for processing.
        case process(pending: Int)
        /// Nothing to process: the datastore is ready.
        case ready
    }

    func run() async throws(SyncFailure) -> Outcome {
        guard let configuration = try storage({ try core.record(id: datastore) })?.configuration else { throw .abandoned }
        let credentials = try core.access.credentials(for: configuration, storedSecret: try storage { try core.storedSecret(datastore) })
        let (client, spaces) = try await core.access.connect(configuration, credentials: credentials, waits: core.waits.observer(for: datastore))

        // Start the cycle.
        let now = currentMillis()
        let cycle: UInt64 = try storage {
            try core.store.write { txn in
                guard var current = try core.record(txn, datastore) else { throw SyncFailure.abandoned }
                if case .paused = current.state { throw SyncFailure.abandoned }
                current.cycle += 1
                current.siteBaseURL = client.site.baseURL
                current.site = client.site
                current.phaseTotal = 0
                current.phaseDone = 0
                current.phaseStartedAt = now
                current.lastError = nil
                let previous = try core.transition(txn, &current, to: .syncingMetadata, now: now)
                core.logTransition(current, from: previous)
                return current.cycle
            }
        }
        core.changed(datastore)

        // Labels (and with them the pages carrying an excluded label), without a request per page.
        let survey = try await LabelSurvey.run(client: client, spaces: spaces, configuration: configuration, logger: core.logger)

        let filter = PageFilter(configuration)
        var statuses: Set<PageStatus> = [.current]
        if configuration.includeArchived { statuses.insert(.archived) }
        var listed = 0
        // Spaces listed at connect that were gone by the time their pages were listed.
        var vanished: Set<String> = []
        for space in spaces {
            do {
                for try await batch in client.pages(in: space, statuses: statuses, includeLabels: true) {
                    try storage {
                        try core.store.write { txn in
                            guard var current = try core.record(txn, datastore), current.cycle == cycle else {
                                throw SyncFailure.abandoned
                            }
                            for page in batch {
                                try apply(page, spaceKey: space.key, cycle: cycle, filter: filter,
                                          labels: survey.labels(of: page),
                                          excludedLabels: survey.excludedLabels(of: page, excluding: filter.excludedLabels), txn: txn)
                            }
                            current.phaseDone += batch.count
                            try core.put(txn, current)
                        }
                    }
                    listed += batch.count
                    core.store.releaseResidentMapPages()
                    core.changed(datastore)
                }
            } catch let error as SyncFailure {
                throw error
            } catch let error as ConfluenceError where configuration.includesAllSpaces && error.kind == .spaceNotFound {
                // Deleted or hidden since the space listing: out of scope, like an unlisted space.
                vanished.insert(space.key)
                core.logger.notice("space \(space.key) disappeared while \(configuration.name) was listing it; its pages are removed",
                                   metadata: ["datastore": "\(configuration.name)", "space": "\(space.key)"])
            } catch let error as ConfluenceError {
                throw SyncFailure(error)
            } catch {
                throw .transient("\(error)")
            }
        }

        try finishListing(cycle: cycle, configuration: configuration, vanishedSpaces: vanished)
        let pending = try storage { try core.store.read { txn in try core.tables.counts(txn, datastore: datastore)["disposition.pending"] ?? 0 } }
        let spacesListed = spaces.count - vanished.count
        core.logger.info("listed \(listed) pages in \(spacesListed) spaces of \(configuration.name); \(pending) to process",
                         metadata: ["datastore": "\(configuration.name)", "pages_listed": "\(listed)", "pages_pending": "\(pending)",
                                    "spaces_listed": "\(spacesListed)"])
        return pending > 0 ? .process(pending: pending) : .ready
    }

    /// Diffs one listed page against its manifest entry. `labels` nil means unknown this cycle:
    /// the entry keeps the labels it had. Labels and the last-modified time are metadata: a
    /// change of them alone rewrites the entry but never sends the page back for processing
    /// (Confluence does not bump the version when labels change).
    private func apply(_ page: Page, spaceKey: String, cycle: UInt64, filter: PageFilter, labels: [String]?,
                       excludedLabels: [String], txn: WriteTransaction) throws {
        let old = try core.tables.page(txn, datastore: datastore, pageId: page.id)
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

        if let reason = filter.skipReason(title: page.title, excludedLabelsOnPage: excludedLabels) {
            if entry.versionIndexed != nil { try removeFromIndex(page.id, txn: txn) }
            entry.disposition = .skipped
            entry.reason = reason
            entry.forgetIndexedContent()
        } else if entry.disposition == .indexed, entry.versionIndexed == page.version {
            // Unchanged content; a move or a new web link only updates the manifest, which is
            // where citations take their URL from.
        } else {
            entry.disposition = .pending
            entry.reason = nil
        }
        if entry != old { try core.tables.putPage(txn, datastore: datastore, old: old, new: entry) }
    }

    /// After a complete listing: removes pages that were not seen (or whose space vanished
    /// part-way through its listing), applies page-tree scope, and records the estimate. Runs
    /// in bounded transactions; running it twice is harmless.
    private func finishListing(cycle: UInt64, configuration: DatastoreConfiguration, vanishedSpaces: Set<String>) throws(SyncFailure) {
        try storage {
            // What to change, gathered in a read snapshot first (never scan a table while writing it).
            var changes: [(String, PageDisposition, String?)] = []
            var parents: [String: String] = [:]
            try core.store.read { txn in
                try txn.forEach(in: core.tables.pages, .prefix(PageRef.prefix(datastore))) { _, coded in
                    let entry = coded.value
                    if entry.seenInCycle != cycle || vanishedSpaces.contains(entry.spaceKey) {
                        if entry.disposition != .deleted {
                            changes.append((entry.pageId, .deleted, "not_listed"))
                        }
                    } else if !configuration.rootPageIds.isEmpty {
                        parents[entry.pageId] = entry.parentId ?? ""
                    }
                    return .continue
                }
            }
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
                try core.store.write { txn in
                    guard try core.record(txn, datastore) != nil else { throw SyncFailure.abandoned }
                    for (pageId, disposition, reason) in changes[slice..<min(slice + 500, changes.count)] {
                        guard let old = try core.tables.page(txn, datastore: datastore, pageId: pageId) else { continue }
                        if old.disposition == .skipped, disposition == .skipped, old.reason == reason { continue }
                        var entry = old
                        if entry.versionIndexed != nil { try removeFromIndex(pageId, txn: txn) }
                        entry.disposition = disposition
                        entry.reason = reason
                        entry.forgetIndexedContent()
                        try core.tables.putPage(txn, datastore: datastore, old: old, new: entry)
                    }
                }
            }
            try core.store.write { txn in
                guard var record = try core.record(txn, datastore) else { throw SyncFailure.abandoned }
                record.estimatedMillicredits = try core.estimateMillicredits(txn, datastore: datastore)
                try core.put(txn, record)
            }
        }
        core.changed(datastore)
    }

    private func removeFromIndex(_ pageId: String, txn: WriteTransaction) throws {
        try core.index.removePage(pageId, datastore: datastore, in: txn)
    }

    static func cqlEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

/// Runs storage work, turning storage errors into a transient failure (a full disk, for one,
/// may clear) and passing ``SyncFailure``s through.
func storage<T>(_ body: () throws -> T) throws(SyncFailure) -> T {
    do {
        return try body()
    } catch let failure as SyncFailure {
        throw failure
    } catch {
        throw .transient("storage: \(error)")
    }
}

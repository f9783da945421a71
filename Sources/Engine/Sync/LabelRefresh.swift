import Confluence
import Foundation
import InputLimits
import Logging
import Storage

/// Labels as display metadata, refreshed after a cycle reached ready.
///
/// Labels decide indexing only when a datastore excludes some: then the cycle's own
/// ``LabelSurvey`` runs beside the listing and batches wait for it, as exclusion needs. Otherwise
/// they only show in search results and filter them, so the cycle that takes a datastore to
/// ready neither waits for nor spends requests on the Cloud survey (about 0.7 requests per 250
/// pages, since v2 listings carry no labels): this step runs it afterwards, at most once per
/// ``EngineOptions/labelRefreshMillis``, and writes what it learned into the manifest (where
/// search reads labels from). Data Center listings carry labels at no cost, so there the cycle
/// keeps them as before.
///
/// A refresh that fails leaves labels as last known and is tried again after the next cycle; it
/// never changes the datastore's state.
struct LabelRefresh {
    let datastore: UInt64
    let store: Store
    let datastores: DatastoreRepository
    let manifest: ManifestRepository
    let pageSources: PageSourceOpener
    let options: EngineOptions
    let clock: any EngineClock
    let logger: Logger

    /// Whether the cycle itself surveys labels: when they decide indexing (excluded labels), or
    /// when they come with the listing (Data Center).
    static func surveysInCycle(_ configuration: DatastoreConfiguration, flavor: ConfluenceFlavor) -> Bool {
        !configuration.excludeLabels.isEmpty || flavor == .dataCenter
    }

    /// Whether `record` is ready and its labels are older than `interval` (or never refreshed).
    static func isDue(_ record: DatastoreRecord, now: Int64, interval: Int64) -> Bool {
        guard case .ready = record.state, let site = record.site,
              !surveysInCycle(record.configuration, flavor: site.flavor) else { return false }
        guard let last = record.labelsRefreshedAt else { return true }
        return now >= Saturating.add(last, max(0, interval))
    }

    /// Surveys the labels and writes them into the manifest when a refresh is due; returns
    /// whether it ran.
    @discardableResult
    func runIfDue() async throws(SyncFailure) -> Bool {
        guard let record = try storage({ try store.read { try datastores.record($0, datastore) } }),
              Self.isDue(record, now: clock.nowMillis, interval: options.labelRefreshMillis) else { return false }
        let source = try pageSources.source(for: record, site: record.site)
        let scope = try await source.connect()
        let survey = try await source.labelSurvey(spaces: scope.spaces, configuration: record.configuration)
        if Task.isCancelled { throw .abandoned }
        let changed = try apply(survey)
        let now = clock.nowMillis
        try storage {
            try store.write { txn in
                guard var current = try datastores.record(txn, datastore) else { throw SyncFailure.abandoned }
                current.labelsRefreshedAt = now
                try datastores.put(txn, current)
            }
        }
        logger.info("refreshed the labels of \(record.configuration.name): \(changed) pages changed",
                    metadata: ["datastore": "\(record.configuration.name)", "pages_relabelled": "\(changed)"])
        // No watcher is told: nothing a status shows changed (a watch would see "ready" again).
        return true
    }

    /// Writes the labels the survey knows into the manifest, in bounded transactions (labels are
    /// metadata: dispositions and the index stay as they are). Returns the entries changed.
    private func apply(_ survey: LabelSurvey) throws(SyncFailure) -> Int {
        // What to change, gathered in a read snapshot first (never scan a table while writing it).
        var changes: [(String, [String])] = []
        try storage {
            try store.read { txn in
                try manifest.forEach(txn, datastore: datastore) { entry in
                    guard entry.disposition != .deleted else { return .continue }
                    let page = Page(id: entry.pageId, title: "", status: PageStatus(rawValue: entry.status))
                    if let labels = survey.labels(of: page), labels != entry.labels { changes.append((entry.pageId, labels)) }
                    return .continue
                }
            }
        }
        for start in stride(from: 0, to: changes.count, by: 1_000) {
            try storage {
                try store.write { txn in
                    guard try datastores.record(txn, datastore) != nil else { throw SyncFailure.abandoned }
                    for (pageId, labels) in changes[start..<min(start + 1_000, changes.count)] {
                        guard let old = try manifest.page(txn, datastore: datastore, pageId: pageId), old.labels != labels else { continue }
                        var entry = old
                        entry.labels = labels
                        try manifest.put(txn, datastore: datastore, old: old, new: entry)
                    }
                }
            }
            // Entries all over the manifest were read: the map's pages need not stay in our RSS.
            store.releaseResidentMapPages()
        }
        return changes.count
    }
}

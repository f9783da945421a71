import Confluence
import Content
import Foundation
import InputLimits
import Logging
import TributaryEvents
import Search
import Storage

/// One processing batch: fetch up to `batchSize` pending bodies in one request, convert and
/// chunk them off the writer, then commit chunks, postings, manifest, progress and the credit
/// debit in a single write transaction. A crash leaves either the whole batch or none of it,
/// and a page version is charged once however often its batch is replayed.
struct BatchProcessor {
    let datastore: UInt64
    let store: Store
    let datastores: DatastoreRepository
    let manifest: ManifestRepository
    let index: SearchIndex
    let pageSources: PageSourceOpener
    let indexCommit: IndexCommit
    /// What runs once no page is pending: the datastore's attachments.
    let sweep: AttachmentSweep
    let options: EngineOptions
    let clock: any EngineClock
    let changed: @Sendable (UInt64) -> Void

    enum Outcome: Equatable {
        /// More pages wait.
        case more
        /// Nothing pending: the cycle is complete.
        case finished
        /// The balance cannot pay for this batch.
        case insufficientCredits(neededMillicredits: Int64)
    }

    func run() async throws(SyncFailure) -> Outcome {
        guard let record = try storage({ try store.read { try datastores.record($0, datastore) } }) else { throw .abandoned }
        guard let site = record.site else { throw .transient("the site was not resolved yet; a metadata sync runs first") }
        // The next pending pages, and which of them replace indexed content (those cost more to commit).
        let (ids, replacing, entries): ([String], Set<String>, [String: ManifestEntry]) = try storage {
            try store.read { txn in
                let ids = try nextPendingIDs(txn)
                let replacing = try ids.filter { try manifest.page(txn, datastore: datastore, pageId: $0)?.versionIndexed != nil }
                return (ids, Set(replacing), try ContentFetch.entries(txn, manifest: manifest, datastore: datastore, ids: ids))
            }
        }
        // Pages done: their attachments follow, in steps like batches.
        if ids.isEmpty { return try await sweep.run(record: record, site: site) }

        let source = try pageSources.source(for: record, site: site)
        var statuses: Set<PageStatus> = [.current]
        if record.configuration.includeArchived { statuses.insert(.archived) }
        let fetched: [Page]
        do {
            fetched = try await ContentFetch(source: source, scope: record.configuration.content.comments)
                .fetch(ids: ids, entries: entries, statuses: statuses)
        } catch {
            throw SyncFailure(error)
        }
        let conversion = PageConversion(options: options, index: index)
        let converted = conversion.convert(ids: ids, fetched: fetched, site: site)
        // Commit in groups: each group is one transaction with its pages' chunks, postings,
        // manifest entries and credits. Replacing pages deletes postings all over the index, and
        // every B-tree page a transaction touches stays in memory until it commits; groups keep
        // that bounded whatever the request size.
        // A replaced page deletes its old postings across many terms: it weighs ten new pages.
        let budget = max(1, options.pagesPerTransaction)
        // One tokenizer for the batch: prepare fills its stem cache, and removing the pages'
        // old postings in apply derives them with the same stems.
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer()
        } catch {
            throw .transient("indexing: \(error)")
        }
        var start = 0
        while start < converted.results.count {
            var end = start
            var weight = 0
            while end < converted.results.count, weight < budget {
                weight += replacing.contains(converted.results[end].pageId) ? 10 : 1
                end += 1
            }
            let ids = Set(converted.results[start..<end].map(\.pageId))
            let prepared = try conversion.prepare(results: Array(converted.results[start..<end]),
                                                  updates: converted.updates.filter { ids.contains($0.page.pageID) }, tokenizer: tokenizer)
            let outcome = try commit(prepared, tokenizer: tokenizer, now: clock.nowMillis)
            if outcome != .more { return outcome }
            start = end
        }
        return .more
    }

    private func commit(_ batch: PreparedBatch, tokenizer: Tokenizer, now: Int64) throws(SyncFailure) -> Outcome {
        let (outcome, toppedOff, name): (Outcome, Int64?, String) = try storage {
            try store.write { txn -> (Outcome, Int64?, String) in
                var toppedOff: Int64?
                guard var record = try datastores.record(txn, datastore) else { throw SyncFailure.abandoned }
                guard record.state == .processing else { throw SyncFailure.abandoned }
                let cost: Int64
                switch try indexCommit.write(batch, txn: txn, now: now, tokenizer: tokenizer) {
                case .insufficientCredits(let needed):
                    return (.insufficientCredits(neededMillicredits: needed), nil, record.configuration.name)
                case .written(let paid, let added):
                    cost = paid
                    toppedOff = added
                }
                record.phaseDone += batch.results.count
                record.estimatedMillicredits = max(0, Saturating.subtract(record.estimatedMillicredits ?? 0, cost))
                try datastores.put(txn, record)
                return (.more, toppedOff, record.configuration.name)
            }
        }
        indexCommit.logTopOff(toppedOff, datastoreName: name)
        // The batch touched index pages all over the map; they need not stay in our RSS.
        store.releaseResidentMapPages()
        changed(datastore)
        return outcome
    }

    /// The next batch: up to `batchSize` pending page ids, in key order.
    private func nextPendingIDs(_ txn: ReadTransaction) throws -> [String] {
        try manifest.pendingIDs(txn, datastore: datastore, limit: options.batchSize)
    }

    /// After a batch exhausted its retries: its pages are marked failed with the last error, so
    /// the cycle completes and they are retried next cycle.
    func markBatchFailed(reason: String) throws(SyncFailure) {
        try storage {
            try store.write { txn in
                guard var record = try datastores.record(txn, datastore) else { return }
                let ids = try nextPendingIDs(txn)
                // No pages pending: it was the attachment sweep that failed; it ends for this cycle.
                if ids.isEmpty { try sweep.giveUp(txn, record: &record) }
                for id in ids {
                    guard let old = try manifest.page(txn, datastore: datastore, pageId: id) else { continue }
                    var entry = old
                    entry.disposition = .failed
                    entry.reason = "fetch_failed: " + reason
                    entry.failures += 1
                    try manifest.put(txn, datastore: datastore, old: old, new: entry)
                }
                record.phaseDone += ids.count
                try datastores.put(txn, record)
            }
        }
        changed(datastore)
    }
}

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
    let core: EngineCore
    let datastore: UInt64

    enum Outcome: Equatable {
        /// More pages wait.
        case more
        /// Nothing pending: the cycle is complete.
        case finished
        /// The balance cannot pay for this batch.
        case insufficientCredits(neededMillicredits: Int64)
    }

    func run() async throws(SyncFailure) -> Outcome {
        guard let record = try storage({ try core.record(id: datastore) }) else { throw .abandoned }
        guard let site = record.site else { throw .transient("the site was not resolved yet; a metadata sync runs first") }
        // The next pending pages, and which of them replace indexed content (those cost more to commit).
        let (ids, replacing): ([String], Set<String>) = try storage {
            try core.store.read { txn in
                let ids = try nextPendingIDs(txn)
                let replacing = try ids.filter { try core.tables.page(txn, datastore: datastore, pageId: $0)?.versionIndexed != nil }
                return (ids, Set(replacing))
            }
        }
        if ids.isEmpty { return .finished }

        let credentials = try core.access.credentials(for: record.configuration, storedSecret: try storage { try core.storedSecret(datastore) })
        let client = core.access.client(site: site, credentials: credentials, waits: core.waits.observer(for: datastore))
        var statuses: Set<PageStatus> = [.current]
        if record.configuration.includeArchived { statuses.insert(.archived) }
        let fetched: [Page]
        do {
            fetched = try await client.pages(ids: ids, statuses: statuses)
        } catch {
            throw SyncFailure(error)
        }
        let converted = convert(ids: ids, fetched: fetched, site: site)
        // Commit in groups: each group is one transaction with its pages' chunks, postings,
        // manifest entries and credits. Replacing pages deletes postings all over the index, and
        // every B-tree page a transaction touches stays in memory until it commits; groups keep
        // that bounded whatever the request size.
        // A replaced page deletes its old postings across many terms: it weighs ten new pages.
        let budget = max(1, core.options.pagesPerTransaction)
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
            let prepared = try prepare(results: Array(converted.results[start..<end]),
                                       updates: converted.updates.filter { ids.contains($0.page.pageID) }, tokenizer: tokenizer)
            let outcome = try commit(prepared, tokenizer: tokenizer, now: currentMillis())
            if outcome != .more { return outcome }
            start = end
        }
        return .more
    }

    /// What one page of the batch becomes.
    struct PageResult {
        var pageId: String
        var version: Int?
        var title: String?
        var webui: String?
        /// When the fetched version was made (ms since 1970), when Confluence said.
        var lastModified: Int64?
        var disposition: PageDisposition
        var reason: String?
        var chunks: Int
        var tokens: Int
        var macros: [String]
    }

    struct PreparedBatch {
        var results: [PageResult]
        var pages: PreparedPages
    }

    /// Converts and chunks: CPU work, no storage.
    private func convert(ids: [String], fetched: [Page], site: ConfluenceSite) -> (results: [PageResult], updates: [PageUpdate]) {
        let byId = Dictionary(fetched.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let chunker = Chunker(options: core.options.chunking)
        var results: [PageResult] = []
        var updates: [PageUpdate] = []
        for id in ids {
            guard let page = byId[id] else {
                // Gone between the listing and now (deleted, or no longer visible).
                results.append(PageResult(pageId: id, disposition: .deleted, reason: "not_found_when_fetched", chunks: 0, tokens: 0, macros: []))
                updates.append(PageUpdate(page: IndexedPage(pageID: id, title: ""), chunks: []))
                continue
            }
            var result = PageResult(pageId: id, version: page.version, title: page.title, webui: page.webui,
                                    lastModified: page.lastModified.map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) },
                                    disposition: .indexed, chunks: 0, tokens: 0, macros: [])
            guard let body = page.storageBody else {
                result.disposition = .failed
                result.reason = "body_missing: Confluence returned no storage body for this page"
                results.append(result)
                continue
            }
            if body.utf8.count > core.options.maxBodyBytes {
                result.disposition = .skipped
                result.reason = "too_large: \(body.utf8.count) bytes, above the \(core.options.maxBodyBytes)-byte limit"
                results.append(result)
                updates.append(PageUpdate(page: IndexedPage(pageID: id, title: page.title), chunks: []))
                continue
            }
            let document = StorageFormat.convert(body, title: page.title)
            var chunks = chunker.chunks(of: document, pageID: id)
            if chunks.isEmpty {
                // A page with nothing but a title is still findable by it.
                chunks = [Chunk(pageID: id, ordinal: 0, sectionIndex: nil, headingPath: [], anchor: "", text: page.title,
                                wordCount: page.title.split(separator: " ").count)]
            }
            result.chunks = chunks.count
            result.tokens = chunks.reduce(0) { $0 + $1.wordCount }
            result.macros = document.macroFlags.keys.sorted()
            results.append(result)
            // The whole Markdown is kept beside the chunks: they overlap, so the page cannot be
            // read back from them.
            updates.append(PageUpdate(page: IndexedPage(pageID: id, title: page.title, urlHint: page.webui.map(site.webURL) ?? ""),
                                      chunks: chunks, text: PageText(document: document)))
        }
        return (results, updates)
    }

    /// Tokenizes one commit group: CPU work, no storage.
    private func prepare(results: [PageResult], updates: [PageUpdate], tokenizer: Tokenizer) throws(SyncFailure) -> PreparedBatch {
        do {
            return PreparedBatch(results: results, pages: try core.index.prepare(updates, tokenizer: tokenizer))
        } catch {
            throw .transient("indexing: \(error)")
        }
    }

    private func commit(_ batch: PreparedBatch, tokenizer: Tokenizer, now: Int64) throws(SyncFailure) -> Outcome {
        let outcome: Outcome = try storage {
            try core.store.write { txn -> Outcome in
                guard var record = try core.record(txn, datastore) else { throw SyncFailure.abandoned }
                guard record.state == .processing else { throw SyncFailure.abandoned }
                let policy = try core.ledger.policy(txn)
                var cost: Int64 = 0
                for result in batch.results where result.disposition == .indexed {
                    if try !core.ledger.isCharged(txn, datastore: datastore, pageId: result.pageId, version: result.version ?? 0) {
                        cost = Saturating.add(cost, policy.cost(tokens: result.tokens))
                    }
                }
                switch try core.ledger.authorize(txn, cost: cost, now: now) {
                case .insufficient(let needed):
                    return .insufficientCredits(neededMillicredits: needed)
                case .allowedAfterTopOff(let added):
                    core.logger.notice("auto top-off added \(Credits.format(added)) credits",
                                       metadata: ["message_id": "\(TributaryEvent.creditsAdded.messageID)", "datastore": "\(record.configuration.name)"])
                case .allowed:
                    break
                }
                try core.index.apply(batch.pages, datastore: datastore, in: txn, tokenizer: tokenizer)
                for result in batch.results {
                    guard let old = try core.tables.page(txn, datastore: datastore, pageId: result.pageId) else { continue }
                    var entry = old
                    entry.disposition = result.disposition
                    entry.reason = result.reason
                    entry.lastProcessed = now
                    if let title = result.title { entry.title = title }
                    if let webui = result.webui { entry.webui = webui }
                    if let lastModified = result.lastModified, result.version ?? 0 >= entry.versionSeen {
                        entry.lastModified = lastModified
                    }
                    switch result.disposition {
                    case .indexed:
                        let version = result.version ?? old.versionSeen
                        entry.versionSeen = max(entry.versionSeen, version)
                        entry.versionIndexed = version
                        entry.chunks = result.chunks
                        entry.tokens = result.tokens
                        entry.unrenderedMacros = result.macros
                        entry.failures = 0
                        _ = try core.ledger.charge(txn, datastore: datastore, pageId: result.pageId, version: version,
                                                   tokens: result.tokens, now: now)
                    case .failed:
                        entry.failures += 1
                    default:
                        entry.forgetIndexedContent()
                    }
                    try core.tables.putPage(txn, datastore: datastore, old: old, new: entry)
                }
                record.phaseDone += batch.results.count
                record.estimatedMillicredits = max(0, Saturating.subtract(record.estimatedMillicredits ?? 0, cost))
                try core.put(txn, record)
                return .more
            }
        }
        // The batch touched index pages all over the map; they need not stay in our RSS.
        core.store.releaseResidentMapPages()
        core.changed(datastore)
        return outcome
    }

    /// The next batch: up to `batchSize` pending page ids, in key order.
    private func nextPendingIDs(_ txn: ReadTransaction) throws -> [String] {
        var ids: [String] = []
        try txn.forEach(in: core.tables.pending, .prefix(PageRef.prefix(datastore))) { key, _ in
            ids.append(key.pageId)
            return ids.count >= core.options.batchSize ? .stop : .continue
        }
        return ids
    }

    /// After a batch exhausted its retries: its pages are marked failed with the last error, so
    /// the cycle completes and they are retried next cycle.
    func markBatchFailed(reason: String) throws(SyncFailure) {
        try storage {
            try core.store.write { txn in
                guard var record = try core.record(txn, datastore) else { return }
                let ids = try nextPendingIDs(txn)
                for id in ids {
                    guard let old = try core.tables.page(txn, datastore: datastore, pageId: id) else { continue }
                    var entry = old
                    entry.disposition = .failed
                    entry.reason = "fetch_failed: " + reason
                    entry.failures += 1
                    try core.tables.putPage(txn, datastore: datastore, old: old, new: entry)
                }
                record.phaseDone += ids.count
                try core.put(txn, record)
            }
        }
        core.changed(datastore)
    }
}

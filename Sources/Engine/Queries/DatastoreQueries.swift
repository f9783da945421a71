import Confluence
import Embeddings
import Foundation
import Search
import Storage

/// Read-only questions about datastores and credits: read transactions only, callable from
/// any task, never waiting for the writer. Search and page reads are in DatastoreQueries+Search.swift.
struct DatastoreQueries: Sendable {
    let store: Store
    let datastores: DatastoreRepository
    let manifest: ManifestRepository
    let attachments: AttachmentRepository
    let ledger: CreditLedger
    let index: SearchIndex
    let queue: JobQueue
    let waits: WaitBoard
    let options: EngineOptions
    let clock: any EngineClock
    let hub: WatchHub
    /// The embedding stage, when the daemon has an embedding endpoint.
    let embedding: EmbeddingStage?
    /// Query vectors of hybrid searches, for repeats.
    let queryVectors: QueryEmbeddingCache
    /// Tokenizers kept warm between searches (their vocabulary has seen the corpus's words).
    let tokenizers = TokenizerPool()
    /// Records that cite search results, decoded once per committed state.
    let lookups: SearchLookups

    init(_ parts: EngineParts, hub: WatchHub, embedding: EmbeddingStage?, queryVectors: QueryEmbeddingCache) {
        store = parts.store
        datastores = parts.datastores
        manifest = parts.manifest
        attachments = parts.attachments
        ledger = parts.ledger
        index = parts.index
        queue = parts.queue
        waits = parts.waits
        options = parts.options
        clock = parts.clock
        self.hub = hub
        self.embedding = embedding
        self.queryVectors = queryVectors
        lookups = SearchLookups(parts)
    }

    /// Every datastore, by name.
    func list() throws(EngineError) -> [DatastoreSnapshot] {
        try engineStorage {
            try store.read { txn in
                try datastores.all(txn).compactMap { try snapshot(txn, id: $0.id) }
            }
        }
    }

    func snapshot(id: UInt64) throws(EngineError) -> DatastoreSnapshot {
        let found: DatastoreSnapshot? = try engineStorage { try store.read { try snapshot($0, id: id) } }
        guard let found else { throw .noSuchDatastore("#\(id)") }
        return found
    }

    func snapshot(_ txn: ReadTransaction, id: UInt64) throws -> DatastoreSnapshot? {
        guard let record = try datastores.record(txn, id) else { return nil }
        var snapshot = DatastoreSnapshot(
            record: record, counts: try manifest.counts(txn, datastore: id), hasStoredSecret: try datastores.hasSecret(txn, id),
            waiting: waits.current(for: record, queued: try queue.jobs(txn, datastore: id), now: clock.nowMillis))
        snapshot.attachments = try attachmentCounts(txn, record: record)
        if let embedding, let model = options.embedder?.model, record.configuration.content.embeddings {
            let state = try index.vectorState(datastore: id, in: txn)
            let chunks = try index.statistics(datastore: id, in: txn).chunkCount
            let embedded = state?.model == model ? state?.count ?? 0 : 0
            snapshot.embeddings = EmbeddingProgress(
                model: model, dimensions: state.flatMap { $0.model == model && $0.dimensions > 0 ? $0.dimensions : nil },
                embedded: embedded, pending: max(0, chunks - embedded), reason: embedding.reason)
        }
        return snapshot
    }

    func identifier(of name: String) throws(EngineError) -> UInt64 {
        let id: UInt64? = try engineStorage { try store.read { try datastores.identifier($0, named: name) } }
        guard let id else { throw .noSuchDatastore(name) }
        return id
    }

    /// The datastore's snapshot now, then after every change until it is deleted or the engine
    /// stops: a change of state at once, progress at most every
    /// ``EngineOptions/progressIntervalMillis`` of the engine's clock (see ``WatchThrottle``).
    func watch(name: String) throws(EngineError) -> AsyncStream<DatastoreSnapshot> {
        let id = try identifier(of: name)
        // Subscribed before the first snapshot: a change in between is not missed.
        let signals = hub.subscribe(id)
        let first = try snapshot(id: id)
        let interval = options.progressIntervalMillis
        let clock = self.clock
        let queries = self
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let throttle = WatchThrottle(first: first, intervalMillis: interval, clock: clock,
                                         read: { try? queries.snapshot(id: id) }, continuation: continuation)
            let task = Task {
                await withDiscardingTaskGroup { flushes in
                    for await _ in signals {
                        let (alive, flushAt) = throttle.changed()
                        guard alive else { break }
                        if let flushAt {
                            flushes.addTask {
                                guard (try? await clock.sleep(untilMillis: flushAt)) != nil else { return }
                                throttle.flush()
                            }
                        }
                    }
                    flushes.cancelAll()
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The manifest's account of one page.
    func explain(name: String, pageId: String) throws(EngineError) -> PageReport {
        let id = try identifier(of: name)
        let report: PageReport? = try engineStorage {
            try store.read { txn in
                guard let entry = try manifest.page(txn, datastore: id, pageId: pageId) else { return nil }
                return PageReport(entry: entry, url: Self.pageURL(record: try datastores.record(txn, id), entry: entry),
                                  attachments: try attachments.attachments(txn, datastore: id, pageId: pageId))
            }
        }
        guard let report else { throw .noSuchPage(datastore: name, pageId: pageId) }
        return report
    }

    /// The balance, policy, spending and newest ledger lines.
    func credits(recent: Int) throws(EngineError) -> CreditsSnapshot {
        let now = clock.nowMillis
        return try engineStorage {
            try store.read { txn in
                let names = Dictionary(try datastores.all(txn).map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
                let recentEntries = try ledger.recentEntries(txn, limit: recent)
                return CreditsSnapshot(
                    balance: try ledger.balance(txn), policy: try ledger.policy(txn),
                    spent: try ledger.spent(txn),
                    autoTopOffUsedThisMonth: try ledger.autoTopOffUsed(txn, monthOf: now),
                    recent: recentEntries.map { ($0, $0.balanceAfter ?? 0) },
                    datastoreNames: names)
            }
        }
    }

    static func pageURL(record: DatastoreRecord?, entry: ManifestEntry?) -> String? {
        guard let site = record?.site, let webui = entry?.webui else { return nil }
        return site.webURL(webui)
    }
}

/// Credits as the control surface shows them.
public struct CreditsSnapshot: Sendable {
    public var balance: Int64
    public var policy: CreditPolicy
    public var spent: Int64
    public var autoTopOffUsedThisMonth: Int64
    /// Newest first, each with the balance after it.
    public var recent: [(entry: LedgerEntry, balanceAfter: Int64)]
    public var datastoreNames: [UInt64: String]
}

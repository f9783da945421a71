import Confluence
import Content
import Foundation
import InputLimits
import Logging
import Search
import Storage

/// What the sync workers (``MetadataSync``, ``BatchProcessor``, ``JobRunner``) may use: the
/// store with its typed repositories, the lifecycle applier, the page sources and the clock.
/// The narrow context is ``datastores``, ``manifest``, ``ledger``, ``queue``, ``index`` and
/// ``lifecycle``: the workers read and write pages, counts and the pending set only through
/// ``manifest``. The raw ``tables`` remain for the tables no repository owns yet (site rates and
/// back-offs, sealed secrets, the name index) and for the state fingerprint.
final class SyncContext: Sendable {
    let store: Store
    let tables: EngineTables
    let datastores: DatastoreRepository
    let manifest: ManifestRepository
    let ledger: CreditLedger
    /// Attachments of the pages, and each datastore's attachment sweep (issue #16).
    let attachments: AttachmentRepository
    let queue: JobQueue
    let index: SearchIndex
    let lifecycle: LifecycleApplier
    let options: EngineOptions
    let logger: Logger
    let access: SiteAccess
    let clock: any EngineClock
    /// Seals secrets before they are stored and opens them for a job.
    let secrets: any SecretSealer
    /// What each datastore's running job waits for (in memory).
    let waits: WaitBoard
    /// Where jobs read Confluence (the client in production, an in-memory source in tests).
    let sources: any PageSourceFactory
    /// Called after every committed change of a datastore (state, counts or progress).
    let changed: @Sendable (UInt64) -> Void

    init(store: Store, options: EngineOptions, logger: Logger, clock: any EngineClock, sources: (any PageSourceFactory)?,
         secrets: any SecretSealer = PlaintextSecrets(), changed: @escaping @Sendable (UInt64) -> Void) throws(EngineError) {
        self.store = store
        do {
            tables = try EngineTables(store: store)
            ledger = try CreditLedger(store: store)
            attachments = try AttachmentRepository(store: store)
            queue = try JobQueue(store: store)
        } catch {
            throw .storage(error)
        }
        datastores = DatastoreRepository(tables: tables, sealer: secrets)
        manifest = ManifestRepository(tables: tables)
        do {
            index = try SearchIndex(store: store)
        } catch {
            throw EngineError(error)
        }
        lifecycle = LifecycleApplier(datastores: datastores, queue: queue, maxAttempts: options.maxAttempts)
        self.options = options
        self.logger = logger
        self.clock = clock
        self.changed = changed
        self.secrets = secrets
        waits = WaitBoard(changed: changed)
        let access = SiteAccess(defaultRateLimit: options.defaultRateLimit, credentials: options.credentials, logger: logger)
        self.access = access
        self.sources = sources ?? ConfluencePageSources(access: access)
    }

    // MARK: Records (see DatastoreRepository)

    func record(_ txn: ReadTransaction, _ id: UInt64) throws -> DatastoreRecord? {
        try datastores.record(txn, id)
    }

    func record(id: UInt64) throws -> DatastoreRecord? {
        try store.read { try datastores.record($0, id) }
    }

    func put(_ txn: WriteTransaction, _ record: DatastoreRecord) throws {
        try datastores.put(txn, record)
    }

    /// The datastore's stored secret, opened; nil when it has none or does not use one. A secret
    /// that cannot be opened (another key, no key) fails the datastore with a configuration
    /// reason that never includes the secret.
    func storedSecret(_ id: UInt64) throws -> String? {
        let stored = try store.read { txn -> [UInt8]? in
            guard try record(txn, id)?.configuration.tokenSource == .stored else { return nil }
            return try datastores.sealedSecret(txn, id)
        }
        guard let stored else { return nil }
        do {
            return try secrets.open(stored, datastore: id)
        } catch {
            throw SyncFailure.configuration(error.description)
        }
    }

    /// The page source for a job of `record`'s datastore.
    func source(for record: DatastoreRecord, site: ConfluenceSite?) throws(SyncFailure) -> any PageSource {
        let secret = try storage { try storedSecret(record.id) }
        return try sources.source(for: record.configuration, storedSecret: secret, site: site, waits: waits.observer(for: record.id))
    }

    // MARK: Scheduling helpers

    /// Schedules the next metadata sync of a datastore at its interval from `now` (no state change).
    func scheduleNextSync(_ txn: WriteTransaction, _ record: inout DatastoreRecord, now: Int64) throws {
        let due = Saturating.add(now, Saturating.multiply(Int64(record.configuration.resyncIntervalSeconds), 1_000))
        record.nextSync = due
        try queue.enqueue(txn, datastore: record.id, kind: .syncMetadata, due: due, maxAttempts: options.maxAttempts)
    }

    func retryDelay(attempt: Int) -> Int64 {
        let exponent = min(max(attempt - 1, 0), 20)
        return min(options.retryBaseMillis << Int64(exponent), options.maxRetryDelayMillis)
    }

    // MARK: Estimates

    /// Millicredits the pending pages of a datastore are expected to cost: their previous token
    /// counts where known, otherwise the datastore's average (or a default) per page.
    func estimateMillicredits(_ txn: ReadTransaction, datastore: UInt64) throws -> Int64 {
        let policy = try ledger.policy(txn)
        // Nothing pending (a completed first sync, most cycles): no scan of every entry.
        if try manifest.counts(txn, datastore: datastore).pending == 0 { return policy.cost(tokens: 0) }
        var knownTokens = 0, unknownPages = 0, indexedTokens = 0, indexedPages = 0
        try manifest.forEach(txn, datastore: datastore) { entry in
            switch entry.disposition {
            case .pending:
                if entry.tokens > 0 { knownTokens += entry.tokens } else { unknownPages += 1 }
            case .indexed:
                indexedTokens += entry.tokens
                indexedPages += 1
            default:
                break
            }
            return .continue
        }
        let perPage = indexedPages > 0 ? max(1, indexedTokens / indexedPages) : options.estimatedTokensPerPage
        return policy.cost(tokens: knownTokens + unknownPages * perPage)
    }
}

/// The workers' name for their context (kept while the pipeline moves onto ``SyncContext``).
typealias EngineCore = SyncContext

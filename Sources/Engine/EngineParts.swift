import Confluence
import Logging
import Search
import Storage

/// The engine's parts, built once when it opens the store: the typed repositories over the
/// store's tables, the lifecycle applier, the page sources, the clock and the options. It is
/// read whole only while the engine is put together: each piece (``Scheduler``, the commands,
/// the queries, the embedding stage, ``StartupUpkeep``) takes the parts it uses when it is
/// built and keeps only those (its stored properties say which), and ``SyncWorkers`` builds
/// every sync worker the same way. Tests read the repositories through it to check what was
/// written.
final class EngineParts: Sendable {
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

    /// Opens a job's page source with the datastore's stored secret.
    var pageSources: PageSourceOpener {
        PageSourceOpener(store: store, datastores: datastores, secrets: secrets, sources: sources, waits: waits)
    }

    /// What the pending pages of a datastore are expected to cost.
    var creditEstimate: CreditEstimate {
        CreditEstimate(ledger: ledger, manifest: manifest, defaultTokensPerPage: options.estimatedTokensPerPage)
    }
}

import Embeddings
import Foundation
import Logging
import Search
import Storage

/// The heart of the daemon, as a thin facade over the pieces that do the work:
///
/// - ``Scheduler``: claims due jobs and runs them under leases, watches the disk.
/// - ``DatastoreCommands`` and ``CreditCommands``: what a person changes, through the
///   ``Lifecycle`` (one pure function decides every state change).
/// - ``DatastoreQueries``: read-only lists, snapshots, watches, explanations, search.
/// - ``EngineParts``: the store with its repositories, from which each piece gets what it uses.
///
/// Everything is persisted in one LMDB ``Store``.
public actor Engine {
    nonisolated let parts: EngineParts
    nonisolated let scheduler: Scheduler
    nonisolated let commands: DatastoreCommands
    nonisolated let creditCommands: CreditCommands
    nonisolated let queries: DatastoreQueries
    /// Embeds chunks behind the lexical index (nil without an embedding endpoint).
    nonisolated let embedding: EmbeddingStage?
    private let hub: WatchHub
    public nonisolated let startedAt: Date

    /// Queries and questions longer than this many UTF-8 bytes are refused.
    public static let maxQueryBytes = DatastoreQueries.maxQueryBytes
    /// The most results one search returns.
    public static let maxSearchLimit = DatastoreQueries.maxSearchLimit

    /// Opens the engine's tables in `store` (creating them on first use).
    /// Stored secrets are sealed and opened with `secrets` (the daemon passes a keyed sealer when
    /// one is configured).
    public init(store: Store, options: EngineOptions = EngineOptions(), logger: Logger,
                secrets: any SecretSealer = PlaintextSecrets()) throws(EngineError) {
        try self.init(store: store, options: options, logger: logger, sources: nil, secrets: secrets)
    }

    /// An engine reading Confluence through `sources` (nil: the Confluence client), on
    /// `clock`, watching free space with `freeSpace` (nil: statvfs on the store's directory).
    init(store: Store, options: EngineOptions, logger: Logger, sources: (any PageSourceFactory)?,
         clock: any EngineClock = SystemEngineClock(), freeSpace: (any FreeSpaceProbe)? = nil,
         secrets: any SecretSealer = PlaintextSecrets()) throws(EngineError) {
        let hub = WatchHub()
        self.hub = hub
        // Every committed change may have added chunks to embed.
        let embeddingDoorbell = Doorbell()
        let parts = try EngineParts(store: store, options: options, logger: logger, clock: clock, sources: sources,
                                    secrets: secrets, changed: { hub.changed($0); embeddingDoorbell.ring() })
        self.parts = parts
        let scheduler = Scheduler(parts, probe: freeSpace ?? StatvfsFreeSpaceProbe(path: store.path))
        self.scheduler = scheduler
        let commands = DatastoreCommands(parts, scheduler: scheduler, hub: hub)
        self.commands = commands
        creditCommands = CreditCommands(parts, datastores: commands)
        let embedding = options.embedder.map { EmbeddingStage(parts, embedder: $0, doorbell: embeddingDoorbell) }
        self.embedding = embedding
        queries = DatastoreQueries(parts, hub: hub, embedding: embedding,
                                   queryVectors: QueryEmbeddingCache(capacity: options.queryEmbeddingCacheSize))
        startedAt = Date(timeIntervalSince1970: Double(clock.nowMillis) / 1_000)
    }

    /// Milliseconds since the scheduler last went round its loop (a stalled engine grows it).
    public nonisolated var heartbeatAgeMillis: Int64 { parts.clock.nowMillis - scheduler.heartbeat.last }

    // MARK: Start and stop

    /// Puts the store right (see ``StartupUpkeep``: leases a previous process held, the credit
    /// settings, values stored out of range, indexes written with another layout), seeds the
    /// sites' back-off deadlines and learned rates, starts the scheduler and the embedding stage,
    /// and resyncs the datastores whose index was dropped.
    ///
    /// The price and auto top-off given here seed a store that has no credit policy yet; once
    /// one is stored (set by the first start or with `tributaryctl credits`), the stored one wins.
    public func start(initialCredits: Int64? = nil, autoTopOff: CreditPolicy.AutoTopOff? = nil,
                      millicreditsPerThousandTokens: Int64? = nil) async throws(EngineError) {
        let now = parts.clock.nowMillis
        let upkeep = StartupUpkeep(parts)
        try upkeep.releaseLeasesAndSeedCredits(now: now, initialCredits: initialCredits, autoTopOff: autoTopOff,
                                               millicreditsPerThousandTokens: millicreditsPerThousandTokens)
        try upkeep.clampStoredValues(now: now)
        try scheduler.seedBackoffs()
        let outdated = try upkeep.dropOutdatedIndexes()
        await scheduler.start()
        embedding?.start()
        for name in outdated {
            // A datastore paused by its user is rebuilt when it is resumed.
            _ = try? resync(name: name)
        }
    }

    /// Seals every stored secret that is not sealed yet (stored as plaintext before a key was
    /// configured) and returns how many it sealed. Run once at start, before the scheduler; with
    /// ``PlaintextSecrets`` nothing is sealed. Logs the count, never a secret.
    @discardableResult
    public func sealStoredSecrets() throws(EngineError) -> Int {
        try StartupUpkeep(parts).sealStoredSecrets()
    }

    /// Stops taking work, cancels running jobs, gives their leases back, and waits for them at
    /// most `timeout`.
    public func stop(timeout: Duration = .seconds(20)) async {
        let millis = timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000
        await scheduler.stop(timeoutMillis: millis)
        await embedding?.stop()
        hub.finishAll()
    }

    /// Wakes the scheduler (work was queued).
    func wake() { scheduler.wake() }

    // MARK: Datastores (DatastoreCommands)

    /// Creates a datastore and queues its first sync. `secret` is stored in the `secrets` table
    /// (never returned by any read).
    public func create(_ configuration: DatastoreConfiguration, secret: String?) throws(EngineError) -> DatastoreSnapshot {
        try queries.snapshot(id: commands.create(configuration, secret: secret))
    }

    /// Replaces a datastore's configuration (and secret, when given). Prefer
    /// ``update(name:secret:change:)``, which merges a change in the write transaction.
    public func update(name: String, configuration: DatastoreConfiguration, secret: String?) throws(EngineError) -> DatastoreSnapshot {
        try update(name: name, secret: secret) { (stored: inout DatastoreConfiguration) throws(EngineError) in stored = configuration }
    }

    /// Changes a datastore's configuration: `change` is applied to the stored configuration
    /// inside the write transaction (it may run more than once, so it must only edit), so two
    /// concurrent updates of different fields both stay. The secret is replaced when given.
    /// A change takes effect through an immediate resync; a failed datastore is retried.
    public func update(
        name: String, secret: String?, change: (inout DatastoreConfiguration) throws(EngineError) -> Void
    ) throws(EngineError) -> DatastoreSnapshot {
        try queries.snapshot(id: commands.update(name: name, secret: secret, change: change))
    }

    /// Removes a datastore with its index, manifest, jobs and secret. Its ledger lines stay
    /// (the ledger is append-only).
    public func delete(name: String) async throws(EngineError) {
        try await commands.delete(name: name, id: identifier(of: name))
    }

    /// Starts a metadata sync now (a running job finishes its step first).
    public func resync(name: String) throws(EngineError) -> DatastoreSnapshot {
        let id = try identifier(of: name)
        try commands.resync(id: id)
        return try queries.snapshot(id: id)
    }

    /// Pauses a datastore: the current step finishes, nothing new starts.
    public func pause(name: String) async throws(EngineError) -> DatastoreSnapshot {
        let id = try identifier(of: name)
        try await commands.pause(id: id)
        return try queries.snapshot(id: id)
    }

    /// Resumes a paused or failed datastore where it makes sense: processing when pages wait
    /// and the site is known, a fresh metadata sync otherwise.
    public func resume(name: String) throws(EngineError) -> DatastoreSnapshot {
        let id = try identifier(of: name)
        try commands.resume(id: id)
        return try queries.snapshot(id: id)
    }

    // MARK: Queries (DatastoreQueries)

    /// Every datastore, by name.
    public func list() throws(EngineError) -> [DatastoreSnapshot] {
        try queries.list()
    }

    public nonisolated func snapshot(name: String) throws(EngineError) -> DatastoreSnapshot {
        try queries.snapshot(id: identifier(of: name))
    }

    nonisolated func snapshot(id: UInt64) throws(EngineError) -> DatastoreSnapshot {
        try queries.snapshot(id: id)
    }

    public nonisolated func identifier(of name: String) throws(EngineError) -> UInt64 {
        try queries.identifier(of: name)
    }

    /// The datastore's snapshot now, then after every change (progress ticks at most every
    /// ``EngineOptions/progressIntervalMillis``), until the datastore is deleted or the engine stops.
    public nonisolated func watch(name: String) throws(EngineError) -> AsyncStream<DatastoreSnapshot> {
        try queries.watch(name: name)
    }

    /// The manifest's account of one page.
    public nonisolated func explain(name: String, pageId: String) throws(EngineError) -> PageReport {
        try queries.explain(name: name, pageId: pageId)
    }

    /// The best passages for `query` in the named datastores (none named: every datastore
    /// with content), merged by score (see ``DatastoreQueries``).
    public nonisolated func search(
        datastores names: [String], query: String, limit: Int, filters: SearchFilters = SearchFilters()
    ) throws(EngineError) -> [EngineSearchHit] {
        try queries.search(datastores: names, query: query, limit: limit, filters: filters)
    }

    /// ``search(datastores:query:limit:filters:)``, hybrid where vectors exist: the query is
    /// embedded once (then cached) and each datastore with vectors of the configured model
    /// fuses BM25F with k-NN. `lexical`, no embedding endpoint, or a query that cannot be
    /// embedded right now (the endpoint is down: logged) give the lexical search.
    public nonisolated func search(
        datastores names: [String], query: String, limit: Int, filters: SearchFilters = SearchFilters(), lexical: Bool
    ) async throws(EngineError) -> [EngineSearchHit] {
        guard !lexical, let embedder = parts.options.embedder,
              try queries.hasVectors(datastores: names, model: embedder.model) else {
            return try queries.search(datastores: names, query: query, limit: limit, filters: filters)
        }
        return try queries.search(datastores: names, query: query, limit: limit, filters: filters,
                                  vector: await queryVector(query, embedder: embedder).map { (embedder.model, $0) })
    }

    /// The query's embedding, from the cache or the endpoint; nil when the endpoint fails.
    private nonisolated func queryVector(_ query: String, embedder: any TextEmbedder) async -> QuantizedVector? {
        if let cached = queries.queryVectors.vector(model: embedder.model, query: query) { return cached }
        guard query.utf8.count <= Self.maxQueryBytes else { return nil }
        let clock = parts.clock
        let deadline = clock.nowMillis + parts.options.queryEmbeddingTimeoutMillis
        // A slow or silent endpoint must not hold the search: past the deadline it is lexical.
        let outcome = await withTaskGroup(of: Result<EmbeddingBatch, EmbeddingError>?.self) { group in
            group.addTask {
                do throws(EmbeddingError) { return .success(try await embedder.embed([query])) } catch { return .failure(error) }
            }
            group.addTask {
                try? await clock.sleep(untilMillis: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch outcome {
        case .success(let batch)?:
            guard let values = batch.vectors.first else { return nil }
            let vector = QuantizedVector(values)
            queries.queryVectors.insert(vector, model: embedder.model, query: query)
            return vector
        case .failure(let error)?:
            parts.logger.warning("search is lexical: the query could not be embedded (\(error))")
            return nil
        case nil:
            parts.logger.warning("search is lexical: the query was not embedded within \(parts.options.queryEmbeddingTimeoutMillis) ms")
            return nil
        }
    }

    /// The best passages in one datastore.
    public nonisolated func search(name: String, query: String, limit: Int) throws(EngineError) -> [EngineSearchHit] {
        try queries.search(datastores: [name], query: query, limit: limit)
    }

    /// A page's indexed Markdown and outline with its current metadata (`reference`: a page id
    /// or a URL of the page).
    public nonisolated func page(datastore name: String, page reference: String) throws(EngineError) -> EnginePage {
        try queries.page(datastore: name, page: reference)
    }

    // MARK: Credits (CreditCommands)

    /// The balance, policy, spending and newest ledger lines.
    public nonisolated func credits(recent: Int) throws(EngineError) -> CreditsSnapshot {
        try queries.credits(recent: recent)
    }

    /// Adds credits (turning enforcement on) and resumes datastores paused for credits.
    public func addCredits(millicredits: Int64, note: String?) throws(EngineError) -> CreditsSnapshot {
        try creditCommands.add(millicredits: millicredits, note: note)
        return try credits(recent: 10)
    }

    /// Changes the credit policy; a change that makes room resumes paused datastores.
    public func setCreditPolicy(_ change: (inout CreditPolicy) -> Void) throws(EngineError) -> CreditsSnapshot {
        try creditCommands.setPolicy(change)
        return try credits(recent: 10)
    }

    // MARK: Health

    /// Store statistics for health reports: bytes used and the current map size.
    public nonisolated func storeUsage() -> (used: Int64, map: Int64) {
        let info = parts.store.info()
        return (Int64(info.usedBytes), Int64(info.mapSize))
    }
}

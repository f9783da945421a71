import Embeddings
import Foundation
import Logging
import Search
import Storage
import Synchronization

/// Fills in chunk vectors behind the lexical index (issue #15): a datastore is searchable as
/// soon as its chunks are indexed, and this stage embeds them afterwards, one bounded batch at
/// a time, round robin over the datastores that have embeddings on, on the low-priority sync
/// threads. It changes no datastore state: a failing endpoint or a short balance only makes
/// it wait (with a reason in `status`) and try again, while search stays lexical for the
/// chunks not embedded yet.
///
/// A batch's vectors, its watermark and its credit entry are written in one transaction; the
/// chunks of a page replaced meanwhile get no vector (they are gone), and a change of model
/// drops the datastore's vectors first (see ``SearchIndex/useEmbeddingModel(_:datastore:in:)``).
final class EmbeddingStage: Sendable {
    private let store: Store
    private let datastores: DatastoreRepository
    private let index: SearchIndex
    private let ledger: CreditLedger
    private let options: EngineOptions
    private let clock: any EngineClock
    private let logger: Logger
    private let changed: @Sendable (UInt64) -> Void
    private let embedder: any TextEmbedder
    let doorbell: Doorbell
    private let state = Mutex(State())

    private struct State {
        var loop: Task<Void, Never>?
        /// The endpoint (or the balance) refused: nothing is tried before this time.
        var blockedUntil: Int64 = 0
        /// Failed attempts in a row (for the back-off).
        var failures = 0
        /// Why embedding waits, shown in every embedded datastore's status.
        var reason: String?
    }

    init(_ parts: EngineParts, embedder: any TextEmbedder, doorbell: Doorbell) {
        store = parts.store
        datastores = parts.datastores
        index = parts.index
        ledger = parts.ledger
        options = parts.options
        clock = parts.clock
        logger = parts.logger
        changed = parts.changed
        self.embedder = embedder
        self.doorbell = doorbell
    }

    /// Why embedding waits right now (the endpoint's failure, credits), if it does.
    var reason: String? { state.withLock { $0.reason } }

    func start() {
        let task = Task.detached(executorPreference: SyncWorkExecutor.shared) { [self] in await run() }
        state.withLock { $0.loop = task }
    }

    func stop() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            defer { state.loop = nil }
            return state.loop
        }
        task?.cancel()
        doorbell.ring()
        await task?.value
    }

    // MARK: Loop

    private func run() async {
        while !Task.isCancelled {
            let now = clock.nowMillis
            let blockedUntil = state.withLock { $0.blockedUntil }
            var worked = false
            if blockedUntil <= now {
                do {
                    worked = try await embedNextBatches()
                } catch {
                    logger.error("embedding: \(error)")
                }
            }
            if Task.isCancelled { return }
            if !worked {
                let blocked = state.withLock { $0.blockedUntil }
                let wake = blocked > now ? blocked : now + Self.idleMillis
                await doorbell.wait(untilMillis: wake, clock: clock)
            }
        }
    }

    /// Longest sleep while nothing waits for a vector (new chunks ring the doorbell sooner).
    static let idleMillis: Int64 = 60_000

    /// One batch for each datastore that has chunks waiting; true when any vectors were written.
    private func embedNextBatches() async throws -> Bool {
        let model = embedder.model
        let targets = try store.read { txn in
            try datastores.all(txn).compactMap { id, _ -> (id: UInt64, enabled: Bool, state: VectorState?)? in
                guard let record = try datastores.record(txn, id) else { return nil }
                return (id, record.configuration.content.embeddings, try index.vectorState(datastore: id, in: txn))
            }
        }
        var worked = false
        for target in targets {
            if Task.isCancelled { return worked }
            if !target.enabled {
                // Turned off: its vectors go, search is lexical.
                if target.state != nil { try store.write { txn in try index.removeAllVectors(datastore: target.id, in: txn) } }
                continue
            }
            if target.state?.model != model {
                try store.write { txn in try index.useEmbeddingModel(model, datastore: target.id, in: txn) }
                changed(target.id)
            }
            switch try await embedBatch(datastore: target.id, model: model) {
            case .written: worked = true
            case .nothingPending: break
            case .blocked: return worked
            }
        }
        return worked
    }

    private enum BatchOutcome { case written, nothingPending, blocked }

    private func embedBatch(datastore: UInt64, model: String) async throws -> BatchOutcome {
        let limit = max(1, options.embeddingBatchSize)
        let pending = try store.read { txn in try index.pendingChunks(datastore: datastore, limit: limit, in: txn) }
        guard let last = pending.last else { return .nothingPending }
        let texts = pending.map { String($0.text.prefix(options.embeddingInputCharacters)) }
        let batch: EmbeddingBatch
        do throws(EmbeddingError) {
            batch = try await embedder.embed(texts)
            guard batch.vectors.count == pending.count else {
                throw .badResponse("\(batch.vectors.count) embeddings for \(pending.count) inputs")
            }
        } catch {
            if case .cancelled = error { return .blocked }
            var retryAfter: Double?
            if case .throttled(_, let seconds) = error { retryAfter = seconds }
            block(reason: error.description, retryAfterSeconds: retryAfter, transient: error.isTransient, datastore: datastore)
            return .blocked
        }
        let tokens = batch.tokens ?? texts.reduce(0) { $0 + ($1.utf8.count + 3) / 4 }
        let vectors = zip(pending, batch.vectors).map { (chunkID: $0.chunkID, vector: QuantizedVector($1)) }
        let now = clock.nowMillis
        let outcome: (needed: Int64?, toppedOff: Int64?) = try store.write { txn in
            let cost = try ledger.policy(txn).cost(tokens: tokens)
            var toppedOff: Int64?
            switch try ledger.authorize(txn, cost: cost, now: now) {
            case .insufficient(let needed): return (needed, nil)
            case .allowedAfterTopOff(let added): toppedOff = added
            case .allowed: break
            }
            let stored = try index.putVectors(vectors, through: last.chunkID, model: model, datastore: datastore, in: txn)
            // Nothing kept (the datastore was deleted, its model changed): nothing charged.
            if stored > 0 {
                try ledger.chargeEmbedding(txn, datastore: datastore, tokens: tokens, millicredits: cost,
                                           note: "\(stored) chunks embedded with \(model)", now: now)
            }
            return (nil, toppedOff)
        }
        if let needed = outcome.needed {
            block(reason: "insufficient credits: \(Credits.format(needed)) more needed to embed the next \(pending.count) chunks",
                  retryAfterSeconds: nil, transient: true, datastore: datastore)
            return .blocked
        }
        if let added = outcome.toppedOff {
            logger.notice("auto top-off added \(Credits.format(added)) credits (embedding)")
        }
        let cleared = state.withLock { state -> Bool in
            defer { state.failures = 0; state.reason = nil }
            return state.reason != nil
        }
        if cleared { logger.notice("embedding resumed") }
        changed(datastore)
        return .written
    }

    /// Waits before the next attempt: the server's Retry-After, else the engine's retry delay
    /// (doubling, capped); a failure that needs a person (a refused key, a response that is
    /// not embeddings) waits the longest delay. Logged when the reason changes.
    private func block(reason: String, retryAfterSeconds: Double?, transient: Bool, datastore: UInt64) {
        let now = clock.nowMillis
        let (changedReason, delay) = state.withLock { state -> (Bool, Int64) in
            state.failures += 1
            let delay: Int64 = if let retryAfterSeconds {
                min(Int64((retryAfterSeconds * 1_000).rounded(.up)), options.maxRetryDelayMillis)
            } else if transient {
                options.retryDelay(attempt: state.failures)
            } else {
                options.maxRetryDelayMillis
            }
            state.blockedUntil = now + max(delay, 1)
            defer { state.reason = reason }
            return (state.reason != reason, delay)
        }
        if changedReason {
            logger.warning("embedding waits \(delay / 1_000) s: \(reason)")
        }
        changed(datastore)
    }
}

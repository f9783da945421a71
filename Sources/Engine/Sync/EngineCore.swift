import Confluence
import Content
import Foundation
import InputLimits
import Logging
import TributaryEvents
import Search
import Storage

/// The engine's storage-facing half: every table, and the transactions that move datastores
/// between states. Its methods are synchronous and never hold a write transaction across an
/// `await`; the network half (``MetadataSync``, ``BatchProcessor``) calls in between requests.
final class EngineCore: Sendable {
    let store: Store
    let tables: EngineTables
    let ledger: CreditLedger
    let queue: JobQueue
    let index: SearchIndex
    let options: EngineOptions
    let logger: Logger
    let access: SiteAccess
    /// What each datastore's running job waits for (in memory).
    let waits: WaitBoard
    /// Called after every committed change of a datastore (state, counts or progress).
    let changed: @Sendable (UInt64) -> Void

    init(store: Store, options: EngineOptions, logger: Logger, changed: @escaping @Sendable (UInt64) -> Void) throws {
        self.store = store
        tables = try EngineTables(store: store)
        ledger = try CreditLedger(store: store)
        queue = try JobQueue(store: store)
        index = try SearchIndex(store: store)
        self.options = options
        self.logger = logger
        self.changed = changed
        waits = WaitBoard(changed: changed)
        access = SiteAccess(defaultRateLimit: options.defaultRateLimit, credentialsDirectory: options.credentialsDirectory,
                            logger: logger)
    }

    // MARK: Records

    func record(_ txn: ReadTransaction, _ id: UInt64) throws -> DatastoreRecord? {
        try txn.get(tables.datastores, id)?.value
    }

    func record(id: UInt64) throws -> DatastoreRecord? {
        try store.read { try record($0, id) }
    }

    func put(_ txn: WriteTransaction, _ record: DatastoreRecord) throws {
        try txn.put(tables.datastores, record.id, JSONCoded(record))
    }

    /// Moves a datastore to `state` inside `txn`, logging the transition once it commits is the
    /// caller's job (see ``logTransition``). Returns the previous state.
    @discardableResult
    func transition(_ txn: WriteTransaction, _ record: inout DatastoreRecord, to state: DatastoreState, now: Int64) throws -> DatastoreState {
        let previous = record.state
        if previous != state {
            record.state = state
            record.stateSince = now
        }
        try put(txn, record)
        return previous
    }

    func logTransition(_ record: DatastoreRecord, from previous: DatastoreState) {
        guard previous != record.state else { return }
        var metadata: Logger.Metadata = [
            "datastore": "\(record.configuration.name)",
            "state": "\(record.state.name)",
            "previous_state": "\(previous.name)",
            "message_id": "\(TributaryEvent.datastoreStateChanged.messageID)",
        ]
        let message: String
        let level: Logger.Level
        switch record.state {
        case .ready:
            metadata["message_id"] = "\(TributaryEvent.datastoreReady.messageID)"
            message = "datastore \(record.configuration.name) is ready"
            level = .notice
        case .failed(let reason):
            metadata["message_id"] = "\(TributaryEvent.datastoreFailed.messageID)"
            metadata["reason"] = "\(reason.kind.rawValue)"
            message = "datastore \(record.configuration.name) failed: \(reason.message)"
            level = .error
        case .paused(let reason):
            if case .insufficientCredits = reason { metadata["message_id"] = "\(TributaryEvent.datastorePausedForCredits.messageID)" }
            metadata["reason"] = "\(reason.code)"
            message = "datastore \(record.configuration.name) paused: \(reason.description)"
            level = .warning
        default:
            if case .paused = previous { metadata["message_id"] = "\(TributaryEvent.datastoreResumed.messageID)" }
            message = "datastore \(record.configuration.name): \(previous.name) → \(record.state.name)"
            level = .info
        }
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    func storedSecret(_ id: UInt64) throws -> String? {
        try store.read { try $0.get(tables.secrets, id) }
    }

    // MARK: Scheduling helpers

    /// Schedules the next metadata sync of a datastore at its interval from `now`.
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
        var knownTokens = 0, unknownPages = 0, indexedTokens = 0, indexedPages = 0
        try txn.forEach(in: tables.pages, .prefix(PageRef.prefix(datastore))) { _, coded in
            let entry = coded.value
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

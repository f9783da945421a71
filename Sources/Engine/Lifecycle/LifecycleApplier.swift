import Logging
import Storage
import TributaryEvents

/// Runs ``Lifecycle/reduce(_:_:_:)`` inside a write transaction: reads nothing itself, writes
/// the new record, applies the queue effects in the same transaction, and hands back what must
/// wait for the commit (log lines, watcher notifications).
struct LifecycleApplier: Sendable {
    let datastores: DatastoreRepository
    let queue: JobQueue
    let maxAttempts: Int

    /// Applies `event` to `record` (as read in `txn`, possibly with fields the caller changed
    /// first). Throws ``LifecycleRejection`` when the event is refused; nothing is written then.
    func apply(_ txn: WriteTransaction, record: DatastoreRecord, _ event: LifecycleEvent, now: Int64) throws -> AfterCommit {
        let transition = try Lifecycle.reduce(record, event, LifecycleContext(now: now))
        // Always written: the caller may have changed fields of `record` before the event.
        try datastores.put(txn, transition.record)
        for effect in transition.effects {
            switch effect {
            case .clearJobs:
                try queue.removeAll(txn, datastore: record.id)
            case .enqueue(let kind, let due):
                try queue.enqueue(txn, datastore: record.id, kind: kind, due: due, maxAttempts: maxAttempts)
            case .scheduleNextSync(let due):
                try queue.enqueue(txn, datastore: record.id, kind: .syncMetadata, due: due, maxAttempts: maxAttempts)
            case .log, .notifyWatchers:
                break
            }
        }
        return AfterCommit(record: transition.record, effects: transition.effects.filter { !$0.isQueueEffect })
    }

    /// Schedules the next metadata sync of `record` at its interval from `now`, as a finished
    /// cycle does, without a state change (the caller writes `record`).
    func rescheduleNextSync(_ txn: WriteTransaction, _ record: inout DatastoreRecord, now: Int64) throws {
        let due = Lifecycle.nextSyncDue(record.configuration, now: now)
        record.nextSync = due
        try queue.enqueue(txn, datastore: record.id, kind: .syncMetadata, due: due, maxAttempts: maxAttempts)
    }

    /// Reads the datastore and applies `event`; nil when it does not exist.
    func apply(_ txn: WriteTransaction, datastore id: UInt64, _ event: LifecycleEvent, now: Int64) throws -> AfterCommit? {
        guard let record = try datastores.record(txn, id) else { return nil }
        return try apply(txn, record: record, event, now: now)
    }
}

/// The effects of a committed transition: performed by the caller once the transaction has
/// committed, exactly once.
struct AfterCommit: Sendable {
    var record: DatastoreRecord
    var effects: [LifecycleEffect]

    func perform(logger: Logger, changed: @Sendable (UInt64) -> Void) {
        for effect in effects {
            switch effect {
            case .log(let from, let to):
                TransitionLog.log(record, from: from, to: to, logger: logger)
            case .notifyWatchers:
                changed(record.id)
            default:
                break
            }
        }
    }
}

/// The journal line of a state change.
enum TransitionLog {
    static func log(_ record: DatastoreRecord, from previous: DatastoreState, to state: DatastoreState, logger: Logger) {
        guard previous != state else { return }
        let name = record.configuration.name
        var metadata: Logger.Metadata = [
            "datastore": "\(name)",
            "state": "\(state.name)",
            "previous_state": "\(previous.name)",
            "message_id": "\(TributaryEvent.datastoreStateChanged.messageID)",
        ]
        let message: String
        let level: Logger.Level
        switch state {
        case .ready:
            metadata["message_id"] = "\(TributaryEvent.datastoreReady.messageID)"
            message = "datastore \(name) is ready"
            level = .notice
        case .failed(let reason):
            metadata["message_id"] = "\(TributaryEvent.datastoreFailed.messageID)"
            metadata["reason"] = "\(reason.kind.rawValue)"
            message = "datastore \(name) failed: \(reason.message)"
            level = .error
        case .paused(let reason):
            if case .insufficientCredits = reason { metadata["message_id"] = "\(TributaryEvent.datastorePausedForCredits.messageID)" }
            metadata["reason"] = "\(reason.code)"
            message = "datastore \(name) paused: \(reason.description)"
            level = .warning
        default:
            if case .paused = previous { metadata["message_id"] = "\(TributaryEvent.datastoreResumed.messageID)" }
            message = "datastore \(name): \(previous.name) → \(state.name)"
            level = .info
        }
        logger.log(level: level, "\(message)", metadata: metadata)
    }
}

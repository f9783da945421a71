import Foundation
import Logging
import Storage

/// Runs one claimed job to its next resting point and records the outcome in the queue and the
/// datastore's state, in one transaction each.
struct JobRunner {
    let core: EngineCore
    let job: Job

    func run() async {
        let outcome: Result<Step, SyncFailure>
        do {
            switch job.kind {
            case .syncMetadata:
                outcome = .success(.metadata(try await MetadataSync(core: core, datastore: job.datastore).run()))
            case .processBatch:
                outcome = .success(.batch(try await BatchProcessor(core: core, datastore: job.datastore).run()))
            }
        } catch {
            outcome = .failure(error)
        }
        record(outcome)
    }

    enum Step {
        case metadata(MetadataSync.Outcome)
        case batch(BatchProcessor.Outcome)
    }

    private func record(_ outcome: Result<Step, SyncFailure>) {
        let now = currentMillis()
        var failedBatchReason: String?
        let transition: (DatastoreRecord, DatastoreState)?
        do {
            transition = try core.store.write { txn -> (DatastoreRecord, DatastoreState)? in
                guard var record = try core.record(txn, job.datastore) else {
                    try core.queue.complete(txn, job)
                    return nil
                }
                // A person paused it (or changed it) meanwhile: their decision stands.
                if case .paused(.byUser) = record.state {
                    try core.queue.complete(txn, job)
                    return nil
                }
                switch outcome {
                case .success(.metadata(.process(let pending))):
                    try core.queue.complete(txn, job)
                    record.phaseTotal = pending
                    record.phaseDone = 0
                    record.phaseStartedAt = now
                    let previous = try core.transition(txn, &record, to: .processing, now: now)
                    try core.queue.enqueue(txn, datastore: job.datastore, kind: .processBatch, due: now, maxAttempts: core.options.maxAttempts)
                    return (record, previous)
                case .success(.metadata(.ready)), .success(.batch(.finished)):
                    try core.queue.complete(txn, job)
                    record.lastSyncCompleted = now
                    record.estimatedMillicredits = 0
                    let previous = try core.transition(txn, &record, to: .ready, now: now)
                    try core.scheduleNextSync(txn, &record, now: now)
                    try core.put(txn, record)
                    return (record, previous)
                case .success(.batch(.more)):
                    try core.queue.complete(txn, job)
                    try core.queue.enqueue(txn, datastore: job.datastore, kind: .processBatch, due: now, maxAttempts: core.options.maxAttempts)
                    return nil
                case .success(.batch(.insufficientCredits(let needed))):
                    try core.queue.complete(txn, job)
                    record.lastError = nil
                    let previous = try core.transition(txn, &record, to: .paused(.insufficientCredits(neededMillicredits: needed)), now: now)
                    return (record, previous)
                case .failure(.abandoned):
                    try core.queue.complete(txn, job)
                    return nil
                case .failure(.permanent(let reason)):
                    try core.queue.complete(txn, job)
                    try core.queue.removeAll(txn, datastore: job.datastore)
                    record.lastError = nil
                    let previous = try core.transition(txn, &record, to: .failed(reason), now: now)
                    return (record, previous)
                case .failure(.transient(let message)):
                    record.lastError = message
                    switch try core.queue.retry(txn, job, error: message, delayMillis: core.retryDelay(attempt: job.attempts), now: now) {
                    case .retryAt:
                        try core.put(txn, record)
                        return nil
                    case .exhausted:
                        if job.kind == .processBatch {
                            // The batch's pages are marked failed below; the cycle goes on.
                            failedBatchReason = message
                            try core.queue.enqueue(txn, datastore: job.datastore, kind: .processBatch, due: now, maxAttempts: core.options.maxAttempts)
                            try core.put(txn, record)
                            return nil
                        }
                        let reason = FailureReason(kind: .unreachable, message: message + " (gave up after \(job.attempts) attempts; the next scheduled sync will try again)")
                        let previous = try core.transition(txn, &record, to: .failed(reason), now: now)
                        try core.scheduleNextSync(txn, &record, now: now)
                        try core.put(txn, record)
                        return (record, previous)
                    }
                }
            }
        } catch {
            core.logger.error("could not record the outcome of job \(job.id): \(error)", metadata: ["job_id": "\(job.id)"])
            return
        }
        if let failedBatchReason {
            try? BatchProcessor(core: core, datastore: job.datastore).markBatchFailed(reason: failedBatchReason)
            core.logger.warning("a batch of pages failed after \(job.attempts) attempts: \(failedBatchReason)",
                                metadata: ["job_id": "\(job.id)"])
        }
        if case .failure(.transient(let message)) = outcome {
            core.logger.warning("job \(job.kind.rawValue) will be retried: \(message)", metadata: [
                "job_id": "\(job.id)", "attempt": "\(job.attempts)",
            ])
        }
        if let (record, previous) = transition { core.logTransition(record, from: previous) }
        core.changed(job.datastore)
    }
}

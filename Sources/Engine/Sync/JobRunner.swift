import Foundation
import Logging
import Storage

/// Runs one claimed job to its next resting point and records the outcome: the job in the
/// queue and the datastore's state (through the lifecycle) in one transaction.
struct JobRunner {
    let job: Job
    /// Told when a write failed for want of space.
    let disk: DiskWatcher
    /// Builds the worker the job's kind calls for.
    let workers: SyncWorkers
    let store: Store
    let datastores: DatastoreRepository
    let queue: JobQueue
    let lifecycle: LifecycleApplier
    let options: EngineOptions
    let clock: any EngineClock
    let logger: Logger
    let changed: @Sendable (UInt64) -> Void

    func run() async {
        let outcome: Result<Step, SyncFailure>
        do {
            switch job.kind {
            case .syncMetadata:
                outcome = .success(.metadata(try await workers.metadataSync(job.datastore).run()))
            case .processBatch:
                outcome = .success(.batch(try await workers.batchProcessor(job.datastore).run()))
            }
        } catch {
            outcome = .failure(error)
        }
        if case .failure(.abandoned) = outcome, Task.isCancelled {
            // Stopped (the daemon shuts down): the job stays queued for the next start; the
            // scheduler gives its lease back. Completing it would strand the cycle half done.
            return
        }
        record(outcome)
        if case .success(.metadata(.ready)) = outcome {
            await refreshLabels()
        } else if case .success(.batch(.finished)) = outcome {
            await refreshLabels()
        }
    }

    /// After a cycle reached ready: the labels, when due (see ``LabelRefresh``). A failure leaves
    /// them as last known, to be tried after the next cycle; the datastore stays ready.
    private func refreshLabels() async {
        do throws(SyncFailure) {
            try await workers.labelRefresh(job.datastore).runIfDue()
        } catch {
            let message: String
            switch error {
            case .abandoned: return
            case .permanent(let reason), .retryable(let reason): message = reason.message
            case .transient(let text): message = text
            case .storage(let storage): message = "storage: \(storage)"
            }
            logger.warning("could not refresh the labels; they stay as last known until the next cycle: \(message)",
                           metadata: ["job_id": "\(job.id)", "datastore_id": "\(job.datastore)"])
        }
    }

    enum Step {
        case metadata(MetadataSync.Outcome)
        case batch(BatchProcessor.Outcome)
    }

    /// What the outcome means for the job, and the lifecycle event it raises.
    private enum Disposal {
        case complete(LifecycleEvent?)
        case retry(message: String, exhausted: FailureReason.Kind = .unreachable)
    }

    private func disposal(of outcome: Result<Step, SyncFailure>) -> Disposal {
        switch outcome {
        case .success(.metadata(.process(let pending))): .complete(.listingFinished(pending: pending))
        case .success(.metadata(.ready)), .success(.batch(.finished)): .complete(.cycleFinished)
        case .success(.batch(.more)): .complete(.batchCommitted)
        case .success(.batch(.insufficientCredits(let needed))): .complete(.creditsExhausted(needed: needed))
        case .failure(.abandoned): .complete(nil)
        case .failure(.permanent(let reason)): .complete(.failedPermanently(reason))
        case .failure(.storage(let error)) where disk.isOutOfSpace(error, headroomBytes: options.diskFullHeadroomBytes):
            // Not the pages' fault: the datastore waits for space, nothing is counted as failed.
            .complete(.diskFull(neededBytes: disk.requiredFreeBytes(headroomBytes: options.diskFullHeadroomBytes)))
        case .failure(.storage(let error)): .retry(message: "storage: \(error)")
        case .failure(.transient(let message)): .retry(message: message)
        case .failure(.retryable(let reason)): .retry(message: reason.message, exhausted: reason.kind)
        }
    }

    private func record(_ outcome: Result<Step, SyncFailure>) {
        let now = clock.nowMillis
        let disposal = disposal(of: outcome)
        if case .complete(.diskFull(let needed)) = disposal { disk.reportFull(neededBytes: needed, now: now) }
        let result: (AfterCommit?, failedBatch: String?)
        do {
            result = try store.write { txn -> (AfterCommit?, String?) in
                guard let record = try datastores.record(txn, job.datastore) else {
                    try queue.complete(txn, job)
                    return (nil, nil)
                }
                // A person paused it meanwhile: their decision stands.
                if case .paused(.byUser) = record.state {
                    try queue.complete(txn, job)
                    return (nil, nil)
                }
                let event: LifecycleEvent?
                var failedBatch: String?
                switch disposal {
                case .complete(let completed):
                    try queue.complete(txn, job)
                    event = completed
                case .retry(let message, let exhaustedKind):
                    switch try queue.retry(txn, job, error: message, delayMillis: options.retryDelay(attempt: job.attempts), now: now) {
                    case .retryAt:
                        event = .retryScheduled(message: message)
                    case .exhausted:
                        if job.kind == .processBatch { failedBatch = message }
                        event = .retriesExhausted(kind: job.kind, message: message, attempts: job.attempts, reason: exhaustedKind)
                    }
                }
                guard let event else { return (nil, failedBatch) }
                return (try lifecycle.apply(txn, record: record, event, now: now), failedBatch)
            }
        } catch {
            if let error = error as? StorageError, disk.isOutOfSpace(error, headroomBytes: options.diskFullHeadroomBytes) {
                // Even the outcome could not be written: the scheduler stops claiming and gives
                // this job's lease back when space returns (no waiting for the lease to expire).
                disk.reportFull(neededBytes: disk.requiredFreeBytes(headroomBytes: options.diskFullHeadroomBytes), now: now)
            }
            logger.error("could not record the outcome of job \(job.id): \(error)", metadata: ["job_id": "\(job.id)"])
            return
        }
        if let failedBatch = result.failedBatch {
            try? workers.batchProcessor(job.datastore).markBatchFailed(reason: failedBatch)
            logger.warning("a batch of pages failed after \(job.attempts) attempts: \(failedBatch)",
                           metadata: ["job_id": "\(job.id)"])
        }
        if case .retry(let message, _) = disposal {
            logger.warning("job \(job.kind.rawValue) will be retried: \(message)", metadata: [
                "job_id": "\(job.id)", "attempt": "\(job.attempts)",
            ])
        }
        result.0?.perform(logger: logger, changed: changed)
        changed(job.datastore)
    }
}

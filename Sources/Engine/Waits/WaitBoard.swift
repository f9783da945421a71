import Confluence
import Foundation
import Synchronization

/// What each datastore's running job waits for, as its Confluence client reports it (throttled,
/// retrying a request, awaiting a slow response), in memory only: a wait means nothing after a
/// restart. Status reads it through ``current(for:queued:now:)``, which also derives the retries
/// the job queue holds.
final class WaitBoard: Sendable {
    private let waits = Mutex<[UInt64: DatastoreWait]>([:])
    /// Called after a datastore's wait changes, so watchers see it.
    private let changed: @Sendable (UInt64) -> Void

    init(changed: @escaping @Sendable (UInt64) -> Void = { _ in }) {
        self.changed = changed
    }

    /// The observer to hand a datastore's client (``ConfluenceClient/Options/waitObserver``,
    /// or the `waits` of ``PageSourceFactory``).
    func observer(for datastore: UInt64) -> @Sendable (ClientWait?) -> Void {
        { [self] wait in set(wait, for: datastore) }
    }

    /// Records a datastore's client wait; nil clears it.
    func set(_ wait: ClientWait?, for datastore: UInt64) {
        let new = wait.map(DatastoreWait.init)
        let differs = waits.withLock { waits in
            let differs = waits[datastore] != new
            waits[datastore] = new
            return differs
        }
        if differs { changed(datastore) }
    }

    /// Forgets a datastore's wait (its job ended, or it was deleted).
    func clear(_ datastore: UInt64) {
        set(nil, for: datastore)
    }

    /// The wait its client reported last, if any.
    func reported(for datastore: UInt64) -> DatastoreWait? {
        waits.withLock { $0[datastore] }
    }

    /// What a datastore waits for now, while a sync runs: what its client reports, else a retry
    /// the queue holds (a job that failed and is due again later). Nil when it waits for nothing,
    /// or is not syncing.
    /// - Parameters:
    ///   - queued: the queue's jobs (others' are ignored).
    ///   - now: milliseconds since 1970.
    func current(for record: DatastoreRecord, queued: [Job], now: Int64) -> DatastoreWait? {
        switch record.state {
        case .syncingMetadata, .processing: break
        default: return nil
        }
        // A report whose end has passed is stale (its request has moved on, or will at once).
        if let reported = reported(for: record.id), (reported.until ?? .max) > now { return reported }
        return queued.lazy.compactMap { DatastoreWait.retry(of: $0, datastore: record.id, lastError: record.lastError, now: now) }.first
    }
}

extension DatastoreWait {
    /// A client's wait as status shows it: times in milliseconds, the site named in the reason.
    init(_ wait: ClientWait) {
        let reason = "\(wait.reason) from \(wait.origin)"
        switch wait.kind {
        case .throttled(let until):
            self.init(kind: .throttled, until: until.millisecondsSince1970, reason: reason)
        case .retrying(let until, let attempt, let maxAttempts):
            self.init(kind: .retrying, until: until.millisecondsSince1970, attempt: attempt, maxAttempts: maxAttempts, reason: reason)
        case .awaitingResponse(let since):
            self.init(kind: .awaitingResponse, since: since.millisecondsSince1970, reason: reason)
        }
    }

    /// The retry a queued job stands for: it failed, and its next attempt is due later.
    static func retry(of job: Job, datastore: UInt64, lastError: String?, now: Int64) -> DatastoreWait? {
        guard job.datastore == datastore, job.lease == nil, job.attempts > 0, job.due > now else { return nil }
        return DatastoreWait(
            kind: .retrying, until: job.due, attempt: job.attempts + 1, maxAttempts: job.maxAttempts,
            reason: job.lastError ?? lastError ?? "the last attempt failed")
    }
}

extension Date {
    var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1_000).rounded()) }
}

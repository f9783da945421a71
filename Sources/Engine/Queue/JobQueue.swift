import Storage

/// The durable job queue: jobs ordered by due time in LMDB, claimed with leases.
///
/// Claiming a job moves it to its lease expiry, so a job whose worker died simply becomes due
/// again when the lease runs out; nothing needs to scan for orphans after a crash. There is at
/// most one queued job of each kind per datastore, so repeated resync requests do not pile up.
public struct JobQueue: Sendable {
    private let jobs: Table<JobKey, JSONCoded<Job>>
    private let dueById: Table<UInt64, Int64>
    private let slots: Table<DatastoreNameKey, UInt64>
    private let counters: Table<String, Int64>
    private static let sequenceKey = "jobs.sequence"

    public init(store: Store) throws(StorageError) {
        jobs = try store.openTable("jobs")
        dueById = try store.openTable("jobs_by_id")
        slots = try store.openTable("jobs_by_slot")
        counters = try store.openTable("counters")
    }

    /// Queues a job of `kind` for `datastore`, due at `due`. If one is already queued, it is
    /// kept and made due no later than `due`; the existing or new job is returned.
    @discardableResult
    public func enqueue(
        _ txn: WriteTransaction,
        datastore: UInt64,
        kind: Job.Kind,
        due: Int64,
        maxAttempts: Int = 8
    ) throws -> Job {
        let slot = DatastoreNameKey(datastore: datastore, name: kind.rawValue)
        if let existingId = try txn.get(slots, slot), var existing = try job(txn, id: existingId) {
            if existing.lease == nil, due < existing.due {
                try move(txn, &existing, to: due)
            }
            return existing
        }
        let id = UInt64(try txn.get(counters, Self.sequenceKey) ?? 0) + 1
        try txn.put(counters, Self.sequenceKey, Int64(id))
        let job = Job(id: id, datastore: datastore, kind: kind, attempts: 0, maxAttempts: maxAttempts, due: due)
        try txn.put(jobs, JobKey(due: due, id: id), JSONCoded(job))
        try txn.put(dueById, id, due)
        try txn.put(slots, slot, id)
        return job
    }

    /// Leases up to `limit` jobs due at `now` (including those whose lease expired) to `owner`
    /// for `leaseMillis`. Jobs of datastores in `excluding` are skipped.
    public func claim(
        _ txn: WriteTransaction,
        owner: String,
        now: Int64,
        leaseMillis: Int64,
        limit: Int,
        excluding: Set<UInt64> = []
    ) throws -> [Job] {
        var due: [Job] = []
        try txn.forEach(in: jobs, .between(JobKey(due: .min, id: 0), JobKey(due: now + 1, id: 0))) { _, coded in
            if !excluding.contains(coded.value.datastore) { due.append(coded.value) }
            return due.count >= limit ? .stop : .continue
        }
        var claimed: [Job] = []
        for var job in due {
            job.attempts += 1
            job.lease = Job.Lease(owner: owner, expires: now + leaseMillis)
            try move(txn, &job, to: now + leaseMillis)
            claimed.append(job)
        }
        return claimed
    }

    /// Removes a finished job. Returns false when the job is gone or leased to someone else
    /// (its lease expired and another worker took it).
    @discardableResult
    public func complete(_ txn: WriteTransaction, _ job: Job) throws -> Bool {
        guard let current = try self.job(txn, id: job.id), current.lease?.owner == job.lease?.owner else { return false }
        try remove(txn, current)
        return true
    }

    /// What happened to a failed job.
    public enum RetryOutcome: Sendable, Equatable {
        /// Scheduled again at this time.
        case retryAt(Int64)
        /// No attempts left: the job was removed.
        case exhausted
    }

    /// Records a failed attempt and schedules the next one after `delayMillis`, or removes the
    /// job when it has used all its attempts.
    public func retry(_ txn: WriteTransaction, _ job: Job, error: String, delayMillis: Int64, now: Int64) throws -> RetryOutcome {
        guard var current = try self.job(txn, id: job.id) else { return .exhausted }
        if current.attempts >= current.maxAttempts {
            try remove(txn, current)
            return .exhausted
        }
        current.lease = nil
        current.lastError = error
        try move(txn, &current, to: now + delayMillis)
        return .retryAt(now + delayMillis)
    }

    /// Gives a leased job back, due now and without counting the attempt (graceful shutdown).
    public func release(_ txn: WriteTransaction, _ job: Job, now: Int64) throws {
        guard var current = try self.job(txn, id: job.id), current.lease != nil else { return }
        current.lease = nil
        current.attempts = max(0, current.attempts - 1)
        try move(txn, &current, to: now)
    }

    /// Removes every job of a datastore (it was deleted).
    public func removeAll(_ txn: WriteTransaction, datastore: UInt64) throws {
        for job in try jobs(txn, datastore: datastore) { try remove(txn, job) }
    }

    /// The datastore's queued jobs (at most one of each kind), found through their slots.
    public func jobs(_ txn: ReadTransaction, datastore: UInt64) throws -> [Job] {
        try Job.Kind.allCases.compactMap { kind in
            guard let id = try txn.get(slots, DatastoreNameKey(datastore: datastore, name: kind.rawValue)) else { return nil }
            return try job(txn, id: id)
        }
    }

    /// The job with `id`, if queued.
    public func job(_ txn: ReadTransaction, id: UInt64) throws -> Job? {
        guard let due = try txn.get(dueById, id) else { return nil }
        return try txn.get(jobs, JobKey(due: due, id: id))?.value
    }

    /// Every queued job in due order.
    public func all(_ txn: ReadTransaction) throws -> [Job] {
        var result: [Job] = []
        try txn.forEach(in: jobs) { _, coded in
            result.append(coded.value)
            return .continue
        }
        return result
    }

    /// The earliest due time, to know how long the scheduler may sleep.
    public func nextDue(_ txn: ReadTransaction) throws -> Int64? {
        var first: Int64?
        try txn.forEach(in: jobs) { key, _ in
            first = key.due
            return .stop
        }
        return first
    }

    // MARK: Internals

    private func move(_ txn: WriteTransaction, _ job: inout Job, to due: Int64) throws {
        try txn.delete(jobs, JobKey(due: job.due, id: job.id))
        job.due = due
        try txn.put(jobs, JobKey(due: due, id: job.id), JSONCoded(job))
        try txn.put(dueById, job.id, due)
    }

    private func remove(_ txn: WriteTransaction, _ job: Job) throws {
        try txn.delete(jobs, JobKey(due: job.due, id: job.id))
        try txn.delete(dueById, job.id)
        try txn.delete(slots, DatastoreNameKey(datastore: job.datastore, name: job.kind.rawValue))
    }
}

import Confluence
import Foundation
import Logging
import Storage

/// Claims due jobs and runs them: at most one job per datastore, at most
/// ``EngineOptions/maxConcurrentDatastores`` in all, each under a lease. Sleeps on a doorbell
/// (rung when work is queued) until the next job is due, beats a heartbeat every round, and
/// watches the disk: after a write failed for want of space it claims nothing, pauses every
/// datastore whose work comes due (they need to write), and resumes them when space returns.
actor Scheduler {
    private let store: Store
    private let datastores: DatastoreRepository
    private let manifest: ManifestRepository
    private let queue: JobQueue
    private let lifecycle: LifecycleApplier
    private let workers: SyncWorkers
    private let pacing: SitePacingMemory
    private let options: EngineOptions
    private let clock: any EngineClock
    private let logger: Logger
    private let changed: @Sendable (UInt64) -> Void
    private let doorbell = Doorbell()
    private let owner = "tributaryd-\(getpid())-\(UUID().uuidString.prefix(8))"
    private var running: [UInt64: (job: Job, task: Task<Void, Never>)] = [:]
    private var loop: Task<Void, Never>?
    private var stopping = false
    nonisolated let heartbeat = HeartbeatClock()
    nonisolated let disk: DiskWatcher

    init(_ parts: EngineParts, probe: any FreeSpaceProbe) {
        store = parts.store
        datastores = parts.datastores
        manifest = parts.manifest
        queue = parts.queue
        lifecycle = parts.lifecycle
        workers = SyncWorkers(parts)
        pacing = SitePacingMemory(store: parts.store, backoffs: parts.tables.siteBackoff, rates: parts.tables.siteRate,
                                  governors: parts.access.governors)
        options = parts.options
        clock = parts.clock
        logger = parts.logger
        changed = parts.changed
        disk = DiskWatcher(probe: probe, intervalMillis: parts.options.diskCheckIntervalMillis)
    }

    /// Starts the loop. Datastores paused for disk by an earlier run make the watcher wait for space.
    func start() {
        heartbeat.beat(now: clock.nowMillis)
        let needed: Int64? = try? store.read { txn in
            var needed: Int64?
            for (id, _) in try datastores.all(txn) {
                if case .paused(.diskFull(let bytes)) = try datastores.record(txn, id)?.state {
                    needed = max(needed ?? 0, bytes)
                }
            }
            return needed
        }
        if let needed { disk.reportFull(neededBytes: needed, now: clock.nowMillis - options.diskCheckIntervalMillis) }
        loop = Task { await self.run() }
    }

    /// Stops claiming, cancels running jobs (a batch either commits before it notices or is
    /// abandoned whole), waits for them at most `timeoutMillis` of the engine's clock, and gives
    /// the leases of any still running back.
    func stop(timeoutMillis: Int64) async {
        stopping = true
        loop?.cancel()
        doorbell.ring()
        let tasks = running.values.map(\.task)
        for task in tasks { task.cancel() }
        let clock = clock
        let deadline = clock.nowMillis + timeoutMillis
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for task in tasks { await task.value } }
            group.addTask { try? await clock.sleep(untilMillis: deadline) }
            await group.next()
            group.cancelAll()
        }
        let leftover = running.values.map(\.job)
        let now = clock.nowMillis
        try? store.write { txn in
            for job in leftover { try queue.release(txn, job, now: now) }
        }
        persistBackoffs()
    }

    /// Wakes the loop (work was queued).
    nonisolated func wake() { doorbell.ring() }

    /// Cancels the datastore's running job and waits for it to end.
    func cancelJob(of datastore: UInt64) async {
        guard let entry = running[datastore] else { return }
        entry.task.cancel()
        _ = await entry.task.value
    }

    // MARK: Loop

    private func run() async {
        while !Task.isCancelled && !stopping {
            let now = clock.nowMillis
            heartbeat.beat(now: now)
            var wake = now + 1_000
            do {
                if disk.neededBytes != nil, disk.spaceReturned(now: now) {
                    try resumeAfterDiskFull(now: now)
                }
                if let nextCheck = disk.nextCheck {
                    try pauseDueWork(now: now)
                    wake = min(wake, nextCheck)
                } else {
                    try claimAndRun(now: now)
                    if running.count < options.maxConcurrentDatastores,
                       let next = try store.read({ try queue.nextDue($0) }) {
                        wake = min(wake, max(next, now))
                    }
                }
            } catch {
                if let error = error as? StorageError, disk.isOutOfSpace(error, headroomBytes: options.diskFullHeadroomBytes) {
                    disk.reportFull(neededBytes: disk.requiredFreeBytes(headroomBytes: options.diskFullHeadroomBytes), now: now)
                }
                logger.error("scheduler: \(error)")
            }
            await doorbell.wait(untilMillis: max(wake, now + 5), clock: clock)
        }
    }

    private func claimAndRun(now: Int64) throws {
        let free = options.maxConcurrentDatastores - running.count
        guard free > 0 else { return }
        let busy = Set(running.keys)
        let jobs = try store.write { txn in
            try queue.claim(txn, owner: owner, now: now, leaseMillis: options.leaseMillis, limit: free, excluding: busy)
        }
        for job in jobs {
            guard running[job.datastore] == nil else {
                // Two due jobs of one datastore: run the second after the first.
                try store.write { txn in try queue.release(txn, job, now: now + 50) }
                continue
            }
            // Detached: the job's CPU and storage work must not run on the scheduler's executor.
            // On the low-priority sync threads, so searches never queue behind it (issue #13, defect 9).
            let disk = disk
            let runner = workers.jobRunner(job, disk: disk)
            let task = Task.detached(executorPreference: SyncWorkExecutor.shared) {
                await runner.run()
                await self.finished(job)
            }
            running[job.datastore] = (job, task)
        }
    }

    private func finished(_ job: Job) {
        if running[job.datastore]?.job.id == job.id { running[job.datastore] = nil }
        persistBackoffs()
        doorbell.ring()
    }

    // MARK: Disk full

    /// While the disk is full, work that comes due cannot write: its datastore pauses for disk.
    private func pauseDueWork(now: Int64) throws {
        let needed = disk.neededBytes ?? disk.requiredFreeBytes(headroomBytes: options.diskFullHeadroomBytes)
        let busy = Set(running.keys)
        let after: [AfterCommit] = try store.write { txn in
            var after: [AfterCommit] = []
            let due = try queue.claim(txn, owner: owner, now: now, leaseMillis: options.leaseMillis, limit: 1_000, excluding: busy)
            for job in due {
                try queue.complete(txn, job)
                if let done = try lifecycle.apply(txn, datastore: job.datastore, .diskFull(neededBytes: needed), now: now) {
                    after.append(done)
                }
            }
            return after
        }
        for done in after { done.perform(logger: logger, changed: changed) }
    }

    /// Space is back: jobs this process leased but no longer runs (their outcome could not be
    /// written) are due again now, not when their lease expires, and every datastore paused
    /// for disk resumes where it was.
    private func resumeAfterDiskFull(now: Int64) throws {
        let busy = Set(running.keys)
        let after: [AfterCommit] = try store.write { txn in
            for job in try queue.all(txn) where job.lease?.owner == owner && !busy.contains(job.datastore) {
                try queue.release(txn, job, now: now)
            }
            var after: [AfterCommit] = []
            for (id, _) in try datastores.all(txn) {
                guard let record = try datastores.record(txn, id), case .paused(.diskFull) = record.state else { continue }
                let pending = try manifest.counts(txn, datastore: id).pending
                after.append(try lifecycle.apply(
                    txn, record: record, .diskSpaceReturned(pendingPages: pending, siteKnown: record.site != nil), now: now))
            }
            return after
        }
        logger.notice("the state directory has free space again; writing resumes")
        for done in after { done.perform(logger: logger, changed: changed) }
    }

    // MARK: Site back-off

    /// Saves what the sites' governors learned (see ``SitePacingMemory``).
    private nonisolated func persistBackoffs() {
        pacing.persist()
    }

    /// Seeds the sites' governors with the back-off deadlines and rates an earlier run stored.
    nonisolated func seedBackoffs() throws(EngineError) {
        try pacing.seed(now: clock.nowMillis)
    }
}

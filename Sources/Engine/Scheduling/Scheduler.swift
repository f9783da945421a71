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
    private let core: SyncContext
    private let doorbell = Doorbell()
    private let owner = "tributaryd-\(getpid())-\(UUID().uuidString.prefix(8))"
    private var running: [UInt64: (job: Job, task: Task<Void, Never>)] = [:]
    private var loop: Task<Void, Never>?
    private var stopping = false
    nonisolated let heartbeat = HeartbeatClock()
    nonisolated let disk: DiskWatcher

    init(core: SyncContext, probe: any FreeSpaceProbe) {
        self.core = core
        disk = DiskWatcher(probe: probe, intervalMillis: core.options.diskCheckIntervalMillis)
    }

    /// Starts the loop. Datastores paused for disk by an earlier run make the watcher wait for space.
    func start() {
        heartbeat.beat(now: core.clock.nowMillis)
        let needed: Int64? = try? core.store.read { txn in
            var needed: Int64?
            for (id, _) in try core.datastores.all(txn) {
                if case .paused(.diskFull(let bytes)) = try core.datastores.record(txn, id)?.state {
                    needed = max(needed ?? 0, bytes)
                }
            }
            return needed
        }
        if let needed { disk.reportFull(neededBytes: needed, now: core.clock.nowMillis - core.options.diskCheckIntervalMillis) }
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
        let clock = core.clock
        let deadline = clock.nowMillis + timeoutMillis
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for task in tasks { await task.value } }
            group.addTask { try? await clock.sleep(untilMillis: deadline) }
            await group.next()
            group.cancelAll()
        }
        let leftover = running.values.map(\.job)
        let now = clock.nowMillis
        try? core.store.write { txn in
            for job in leftover { try core.queue.release(txn, job, now: now) }
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
            let now = core.clock.nowMillis
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
                    if running.count < core.options.maxConcurrentDatastores,
                       let next = try core.store.read({ try core.queue.nextDue($0) }) {
                        wake = min(wake, max(next, now))
                    }
                }
            } catch {
                if let error = error as? StorageError, disk.isOutOfSpace(error, headroomBytes: core.options.diskFullHeadroomBytes) {
                    disk.reportFull(neededBytes: disk.requiredFreeBytes(headroomBytes: core.options.diskFullHeadroomBytes), now: now)
                }
                core.logger.error("scheduler: \(error)")
            }
            await doorbell.wait(untilMillis: max(wake, now + 5), clock: core.clock)
        }
    }

    private func claimAndRun(now: Int64) throws {
        let free = core.options.maxConcurrentDatastores - running.count
        guard free > 0 else { return }
        let busy = Set(running.keys)
        let jobs = try core.store.write { txn in
            try core.queue.claim(txn, owner: owner, now: now, leaseMillis: core.options.leaseMillis, limit: free, excluding: busy)
        }
        for job in jobs {
            guard running[job.datastore] == nil else {
                // Two due jobs of one datastore: run the second after the first.
                try core.store.write { txn in try core.queue.release(txn, job, now: now + 50) }
                continue
            }
            // Detached: the job's CPU and storage work must not run on the scheduler's executor.
            // On the low-priority sync threads, so searches never queue behind it (issue #13, defect 9).
            let disk = disk
            let task = Task.detached(executorPreference: SyncWorkExecutor.shared) { [core] in
                await JobRunner(core: core, job: job, disk: disk).run()
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
        let needed = disk.neededBytes ?? disk.requiredFreeBytes(headroomBytes: core.options.diskFullHeadroomBytes)
        let busy = Set(running.keys)
        let after: [AfterCommit] = try core.store.write { txn in
            var after: [AfterCommit] = []
            let due = try core.queue.claim(txn, owner: owner, now: now, leaseMillis: core.options.leaseMillis, limit: 1_000, excluding: busy)
            for job in due {
                try core.queue.complete(txn, job)
                if let done = try core.lifecycle.apply(txn, datastore: job.datastore, .diskFull(neededBytes: needed), now: now) {
                    after.append(done)
                }
            }
            return after
        }
        for done in after { done.perform(logger: core.logger, changed: core.changed) }
    }

    /// Space is back: jobs this process leased but no longer runs (their outcome could not be
    /// written) are due again now, not when their lease expires, and every datastore paused
    /// for disk resumes where it was.
    private func resumeAfterDiskFull(now: Int64) throws {
        let busy = Set(running.keys)
        let after: [AfterCommit] = try core.store.write { txn in
            for job in try core.queue.all(txn) where job.lease?.owner == owner && !busy.contains(job.datastore) {
                try core.queue.release(txn, job, now: now)
            }
            var after: [AfterCommit] = []
            for (id, _) in try core.datastores.all(txn) {
                guard let record = try core.datastores.record(txn, id), case .paused(.diskFull) = record.state else { continue }
                let pending = try core.manifest.counts(txn, datastore: id).pending
                after.append(try core.lifecycle.apply(
                    txn, record: record, .diskSpaceReturned(pendingPages: pending, siteKnown: record.site != nil), now: now))
            }
            return after
        }
        core.logger.notice("the state directory has free space again; writing resumes")
        for done in after { done.perform(logger: core.logger, changed: core.changed) }
    }

    // MARK: Site back-off

    /// Saves each site's back-off deadline, so a restart loop cannot hammer a throttled site,
    /// and the rate its server was seen to allow, so a restart paces right away.
    private nonisolated func persistBackoffs() {
        let governors = core.access.governors
        let tables = core.tables
        let store = core.store
        Task {
            var deadlines: [(String, Int64)] = []
            var rates: [(String, Int64)] = []
            for (origin, governor) in governors.all() {
                if let until = await governor.backoffUntil {
                    deadlines.append((origin, Int64(until.timeIntervalSince1970 * 1_000)))
                }
                if let rate = await governor.learnedRate, rate.isFinite, rate > 0 {
                    rates.append((origin, Int64((rate * 1_000).rounded(.down))))
                }
            }
            guard !deadlines.isEmpty || !rates.isEmpty else { return }
            try? store.write { txn in
                for (origin, until) in deadlines { try txn.put(tables.siteBackoff, origin, until) }
                for (origin, rate) in rates { try txn.put(tables.siteRate, origin, rate) }
            }
        }
    }

    /// Seeds the sites' governors with the back-off deadlines and rates an earlier run stored.
    nonisolated func seedBackoffs() throws(EngineError) {
        let now = core.clock.nowMillis
        let (deadlines, rates): ([(String, Int64)], [(String, Int64)]) = try engineStorage {
            try core.store.read { txn in
                var deadlines: [(String, Int64)] = []
                var rates: [(String, Int64)] = []
                try txn.forEach(in: core.tables.siteBackoff) { origin, until in
                    if until > now { deadlines.append((origin, until)) }
                    return .continue
                }
                try txn.forEach(in: core.tables.siteRate) { origin, rate in
                    rates.append((origin, rate))
                    return .continue
                }
                return (deadlines, rates)
            }
        }
        for (origin, until) in deadlines {
            core.access.governors.seedBackoff(origin: origin, until: Date(timeIntervalSince1970: Double(until) / 1_000))
        }
        for (origin, rate) in rates where rate > 0 {
            core.access.governors.seedLearnedRate(origin: origin, rate: Double(rate) / 1_000)
        }
    }
}

import Confluence
import Foundation
import InputLimits
import Logging
import TributaryEvents
import Search
import Storage

/// The heart of the daemon: datastores, their state machine, the job scheduler, search and
/// credits, all persisted in one LMDB ``Store``.
///
/// Jobs run concurrently across datastores (at most one job per datastore at a time, at most
/// ``EngineOptions/maxConcurrentDatastores`` in all); every datastore on one Confluence site
/// shares that site's ``RateGovernor``.
public actor Engine {
    nonisolated let core: EngineCore
    private let hub: WatchHub
    private let doorbell = Doorbell()
    private let owner = "tributaryd-\(getpid())-\(UUID().uuidString.prefix(8))"
    private var running: [UInt64: (job: Job, task: Task<Void, Never>)] = [:]
    private var scheduler: Task<Void, Never>?
    private var stopping = false
    private nonisolated let heartbeatClock = HeartbeatClock()
    public nonisolated let startedAt = Date()

    /// Opens the engine's tables in `store` (creating them on first use).
    public init(store: Store, options: EngineOptions = EngineOptions(), logger: Logger) throws(EngineError) {
        let hub = WatchHub()
        self.hub = hub
        do {
            core = try EngineCore(store: store, options: options, logger: logger, changed: { hub.changed($0) })
        } catch {
            throw .storage("\(error)")
        }
    }

    /// Milliseconds since the scheduler last went round its loop (a stalled engine grows it).
    public nonisolated var heartbeatAgeMillis: Int64 { currentMillis() - heartbeatClock.last }

    // MARK: Lifecycle

    /// Re-queues the jobs a previous process held (it is gone: its leases are void), seeds the
    /// sites' back-off deadlines, seeds the credit settings, brings values stored out of range
    /// back into range, and starts the scheduler.
    ///
    /// The price and auto top-off given here seed a store that has no credit policy yet; once
    /// one is stored (set by the first start or with `tributaryctl credits`), the stored one wins.
    public func start(initialCredits: Int64? = nil, autoTopOff: CreditPolicy.AutoTopOff? = nil,
                      millicreditsPerThousandTokens: Int64? = nil) throws(EngineError) {
        let now = currentMillis()
        let kept: CreditPolicy? = try engineCall {
            try core.store.write { txn in
                for job in try core.queue.all(txn) where job.lease != nil {
                    try core.queue.release(txn, job, now: now)
                }
                let stored = try core.ledger.storedPolicy(txn)
                if stored == nil, millicreditsPerThousandTokens != nil || autoTopOff != nil {
                    var policy = try core.ledger.policy(txn)
                    if let millicreditsPerThousandTokens { policy.millicreditsPerThousandTokens = millicreditsPerThousandTokens }
                    if let autoTopOff { policy.autoTopOff = autoTopOff }
                    try core.ledger.setPolicy(txn, policy)
                }
                if let initialCredits, try core.ledger.allEntries(txn).allSatisfy({ $0.kind == .charge || $0.kind == .modelUsage }),
                   try !core.ledger.policy(txn).enforced {
                    try core.ledger.add(txn, millicredits: initialCredits, note: "initial_credits from the daemon configuration", now: now)
                }
                return stored
            }
        }
        if let kept, let configured = millicreditsPerThousandTokens, configured != kept.millicreditsPerThousandTokens {
            let message = "the stored credit price (\(Credits.format(kept.millicreditsPerThousandTokens)) per 1000 tokens) applies; "
                + "the configured \(Credits.format(configured)) only seeds a new store (change it with tributaryctl credits price)"
            core.logger.info("\(message)")
        }
        try clampStoredValues(now: now)
        try seedBackoffs()
        let outdated = try dropOutdatedIndexes()
        heartbeatClock.beat()
        scheduler = Task { [weak self] in await self?.schedule() }
        for name in outdated {
            // A datastore paused by its user is rebuilt when it is resumed.
            _ = try? resync(name: name)
        }
    }

    /// Empties the index of every datastore written with another index layout or text
    /// analysis (after an upgrade of Tributary or of libstemmer, pages could not be replaced
    /// in place) and marks its pages for processing again. Page versions already paid for are
    /// not charged again. Returns the names of the datastores to sync.
    private func dropOutdatedIndexes() throws(EngineError) -> [String] {
        try engineCall {
            let datastores = try core.store.read { txn in
                try list(txn).filter { id, _ in try core.index.needsRebuild(datastore: id, in: txn) }
            }
            for (id, name) in datastores {
                // Gathered in a read snapshot first: never scan a table while writing it.
                let indexed = try core.store.read { txn in
                    var entries: [ManifestEntry] = []
                    try txn.forEach(in: core.tables.pages, .prefix(PageRef.prefix(id))) { _, coded in
                        if coded.value.versionIndexed != nil || coded.value.disposition == .indexed { entries.append(coded.value) }
                        return .continue
                    }
                    return entries
                }
                try core.store.write { txn in
                    try core.index.removeDatastore(id, in: txn)
                    for old in indexed {
                        var new = old
                        new.versionIndexed = nil
                        new.disposition = .pending
                        new.reason = nil
                        new.chunks = 0
                        try core.tables.putPage(txn, datastore: id, old: old, new: new)
                    }
                }
                core.logger.notice(
                    "the index of \(name) was written by another index format or text analysis; it is rebuilt from Confluence (\(indexed.count) pages, no credits charged again)",
                    metadata: ["datastore": "\(name)", "pages": "\(indexed.count)"])
            }
            return datastores.map(\.1)
        }
    }

    /// Stops taking work, cancels running jobs (a batch either commits before it notices or is
    /// abandoned whole), gives their leases back, and waits for them at most `timeout`.
    public func stop(timeout: Duration = .seconds(20)) async {
        stopping = true
        scheduler?.cancel()
        doorbell.ring()
        let tasks = running.values.map(\.task)
        for task in tasks { task.cancel() }
        let deadline = ContinuousClock.now + timeout
        while !running.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let leftover = running.values.map(\.job)
        let now = currentMillis()
        try? core.store.write { txn in
            for job in leftover { try core.queue.release(txn, job, now: now) }
        }
        persistBackoffs()
        hub.finishAll()
    }

    // MARK: Scheduler

    private func schedule() async {
        while !Task.isCancelled && !stopping {
            if let stallAt = core.options.faultStallSchedulerAtMillis, currentMillis() >= stallAt {
                // Fault injection for the watchdog test: the scheduler stops going round.
                try? await Task.sleep(for: .seconds(3_600))
                continue
            }
            heartbeatClock.beat()
            var wait: Int64 = 1_000
            do {
                try claimAndRun()
                if let next = try core.store.read({ try core.queue.nextDue($0) }) {
                    wait = min(wait, max(next - currentMillis(), 0))
                }
            } catch {
                core.logger.error("scheduler: \(error)")
            }
            if running.count >= core.options.maxConcurrentDatastores { wait = 1_000 }
            await doorbell.wait(milliseconds: max(wait, 5))
        }
    }

    private func claimAndRun() throws {
        let free = core.options.maxConcurrentDatastores - running.count
        guard free > 0 else { return }
        let now = currentMillis()
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
            // Detached: the job's CPU and storage work must not run on the engine's executor.
            // On the low-priority sync threads, so searches never queue behind it (issue #13, defect 9).
            let task = Task.detached(executorPreference: SyncWorkExecutor.shared) { [core] in
                await JobRunner(core: core, job: job).run()
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

    private func seedBackoffs() throws(EngineError) {
        let now = currentMillis()
        let stored: [(String, Int64)] = try engineCall {
            try core.store.read { txn in
                var result: [(String, Int64)] = []
                try txn.forEach(in: core.tables.siteBackoff) { origin, until in
                    if until > now { result.append((origin, until)) }
                    return .continue
                }
                return result
            }
        }
        for (origin, until) in stored {
            core.access.governors.seedBackoff(origin: origin, until: Date(timeIntervalSince1970: Double(until) / 1_000))
        }
        let rates: [(String, Int64)] = try engineCall {
            try core.store.read { txn in
                var result: [(String, Int64)] = []
                try txn.forEach(in: core.tables.siteRate) { origin, rate in
                    result.append((origin, rate))
                    return .continue
                }
                return result
            }
        }
        for (origin, rate) in rates where rate > 0 {
            core.access.governors.seedLearnedRate(origin: origin, rate: Double(rate) / 1_000)
        }
    }

    /// Wakes the scheduler (work was queued).
    func wake() { doorbell.ring() }

    // MARK: Datastores

    /// Creates a datastore and queues its first sync. `secret` is stored in the `secrets` table
    /// (never returned by any read).
    public func create(_ configuration: DatastoreConfiguration, secret: String?) throws(EngineError) -> DatastoreSnapshot {
        try validate(configuration, secret: secret)
        let now = currentMillis()
        let record: DatastoreRecord = try engineCall {
            try core.store.write { txn in
                if try txn.get(core.tables.names, configuration.name) != nil {
                    throw EngineError.datastoreExists(configuration.name)
                }
                let id = try core.tables.nextIdentifier(txn, "datastores.sequence")
                let record = DatastoreRecord(id: id, configuration: configuration, now: now)
                try txn.put(core.tables.names, configuration.name, id)
                if let secret { try txn.put(core.tables.secrets, id, secret) }
                try core.put(txn, record)
                try core.queue.enqueue(txn, datastore: id, kind: .syncMetadata, due: now, maxAttempts: core.options.maxAttempts)
                return record
            }
        }
        core.access.noteRateLimit(configuration.rateLimit, for: configuration.url)
        core.logger.notice("datastore \(configuration.name) created", metadata: [
            "datastore": "\(configuration.name)",
            "origin": "\(configuration.origin)",
        ])
        doorbell.ring()
        return try snapshot(id: record.id)
    }

    /// Changes a datastore's configuration (and secret, when given). A change of scope or
    /// filters takes effect through an immediate resync; a failed datastore is retried.
    public func update(name: String, configuration: DatastoreConfiguration, secret: String?) throws(EngineError) -> DatastoreSnapshot {
        try validate(configuration, secret: secret ?? "present")
        let now = currentMillis()
        let id = try identifier(of: name)
        let (record, previous): (DatastoreRecord, DatastoreState) = try engineCall {
            try core.store.write { txn in
                guard var record = try core.record(txn, id) else { throw EngineError.noSuchDatastore(name) }
                var configuration = configuration
                configuration.name = record.configuration.name
                record.configuration = configuration
                if let secret { try txn.put(core.tables.secrets, id, secret) }
                var previous = record.state
                switch record.state {
                case .paused(.byUser):
                    try core.put(txn, record)
                default:
                    previous = try core.transition(txn, &record, to: .syncingMetadata, now: now)
                    try core.queue.removeAll(txn, datastore: id)
                    try core.queue.enqueue(txn, datastore: id, kind: .syncMetadata, due: now, maxAttempts: core.options.maxAttempts)
                }
                return (record, previous)
            }
        }
        core.access.noteRateLimit(configuration.rateLimit, for: configuration.url)
        core.logTransition(record, from: previous)
        core.changed(id)
        doorbell.ring()
        return try snapshot(id: id)
    }

    /// Removes a datastore with its index, manifest, jobs and secret. Its ledger lines stay
    /// (the ledger is append-only).
    public func delete(name: String) async throws(EngineError) {
        let id = try identifier(of: name)
        if let entry = running[id] {
            entry.task.cancel()
            _ = await entry.task.value
        }
        try engineCall {
            try core.store.write { txn in
                guard try core.record(txn, id) != nil else { throw EngineError.noSuchDatastore(name) }
                try core.queue.removeAll(txn, datastore: id)
                try core.index.removeDatastore(id, in: txn)
                try txn.deleteAll(in: core.tables.pages, .prefix(PageRef.prefix(id)))
                try txn.deleteAll(in: core.tables.pending, .prefix(PageRef.prefix(id)))
                try txn.deleteAll(in: core.tables.counts, .prefix(datastoreKeyPrefix(id)))
                try txn.delete(core.tables.secrets, id)
                try txn.delete(core.tables.names, name)
                try txn.delete(core.tables.datastores, id)
            }
        }
        core.logger.notice("datastore \(name) deleted", metadata: ["datastore": "\(name)"])
        hub.finish(id)
    }

    /// Every datastore, by name.
    public func list() throws(EngineError) -> [DatastoreSnapshot] {
        try engineCall {
            try core.store.read { txn in
                var ids: [UInt64] = []
                try txn.forEach(in: core.tables.names) { _, id in
                    ids.append(id)
                    return .continue
                }
                return try ids.compactMap { try snapshot(txn, id: $0) }
            }
        }
    }

    public nonisolated func snapshot(name: String) throws(EngineError) -> DatastoreSnapshot {
        try snapshot(id: identifier(of: name))
    }

    nonisolated func snapshot(id: UInt64) throws(EngineError) -> DatastoreSnapshot {
        let found: DatastoreSnapshot? = try engineCall { try core.store.read { try snapshot($0, id: id) } }
        guard let found else { throw .noSuchDatastore("#\(id)") }
        return found
    }

    private nonisolated func snapshot(_ txn: ReadTransaction, id: UInt64) throws -> DatastoreSnapshot? {
        guard let record = try core.record(txn, id) else { return nil }
        return DatastoreSnapshot(record: record, counts: try core.tables.counts(txn, datastore: id),
                                 hasStoredSecret: try txn.contains(core.tables.secrets, id))
    }

    public nonisolated func identifier(of name: String) throws(EngineError) -> UInt64 {
        let id: UInt64? = try engineCall { try core.store.read { try $0.get(core.tables.names, name) } }
        guard let id else { throw .noSuchDatastore(name) }
        return id
    }

    /// Starts a metadata sync now (a running job finishes its step first).
    public func resync(name: String) throws(EngineError) -> DatastoreSnapshot {
        let id = try identifier(of: name)
        let now = currentMillis()
        let (record, previous): (DatastoreRecord, DatastoreState) = try engineCall {
            try core.store.write { txn in
                guard var record = try core.record(txn, id) else { throw EngineError.noSuchDatastore(name) }
                var previous = record.state
                switch record.state {
                case .paused(.insufficientCredits), .failed, .ready:
                    previous = try core.transition(txn, &record, to: .syncingMetadata, now: now)
                default:
                    break
                }
                if case .paused(.byUser) = record.state {
                    throw EngineError.invalid(field: "state", message: "the datastore is paused; resume it to sync")
                }
                try core.queue.removeAll(txn, datastore: id)
                try core.queue.enqueue(txn, datastore: id, kind: .syncMetadata, due: now, maxAttempts: core.options.maxAttempts)
                return (record, previous)
            }
        }
        core.logTransition(record, from: previous)
        core.changed(id)
        doorbell.ring()
        return try snapshot(id: id)
    }

    /// Pauses a datastore: the current step finishes, nothing new starts.
    public func pause(name: String) async throws(EngineError) -> DatastoreSnapshot {
        let id = try identifier(of: name)
        let now = currentMillis()
        let (record, previous): (DatastoreRecord, DatastoreState) = try engineCall {
            try core.store.write { txn in
                guard var record = try core.record(txn, id) else { throw EngineError.noSuchDatastore(name) }
                if case .paused(.byUser) = record.state { return (record, record.state) }
                record.stateBeforePause = record.state
                let previous = try core.transition(txn, &record, to: .paused(.byUser), now: now)
                try core.queue.removeAll(txn, datastore: id)
                return (record, previous)
            }
        }
        if let entry = running[id] {
            entry.task.cancel()
            _ = await entry.task.value
        }
        core.logTransition(record, from: previous)
        core.changed(id)
        return try snapshot(id: id)
    }

    /// Resumes a paused or failed datastore where it makes sense: processing when pages wait
    /// and the site is known, a fresh metadata sync otherwise.
    public func resume(name: String) throws(EngineError) -> DatastoreSnapshot {
        let id = try identifier(of: name)
        try resume(id: id, onlyCreditPauses: false)
        return try snapshot(id: id)
    }

    private func resume(id: UInt64, onlyCreditPauses: Bool) throws(EngineError) {
        let now = currentMillis()
        let result: (DatastoreRecord, DatastoreState)? = try engineCall {
            try core.store.write { txn in
                guard var record = try core.record(txn, id) else { throw EngineError.noSuchDatastore("#\(id)") }
                switch record.state {
                case .paused(.insufficientCredits):
                    break
                case .paused(.byUser), .failed:
                    if onlyCreditPauses { return nil }
                default:
                    return nil
                }
                let pending = try core.tables.counts(txn, datastore: id)["disposition.pending"] ?? 0
                let resumeProcessing: Bool
                if case .failed = record.state {
                    resumeProcessing = false
                } else {
                    resumeProcessing = pending > 0 && record.site != nil && record.stateBeforePause != .syncingMetadata
                }
                record.stateBeforePause = nil
                let previous: DatastoreState
                try core.queue.removeAll(txn, datastore: id)
                if resumeProcessing {
                    previous = try core.transition(txn, &record, to: .processing, now: now)
                    try core.queue.enqueue(txn, datastore: id, kind: .processBatch, due: now, maxAttempts: core.options.maxAttempts)
                } else {
                    previous = try core.transition(txn, &record, to: .syncingMetadata, now: now)
                    try core.queue.enqueue(txn, datastore: id, kind: .syncMetadata, due: now, maxAttempts: core.options.maxAttempts)
                }
                return (record, previous)
            }
        }
        if let (record, previous) = result {
            core.logTransition(record, from: previous)
            core.changed(id)
            doorbell.ring()
        }
    }

    // MARK: Watching

    /// The datastore's snapshot now, then after every change (progress ticks at most every
    /// ``EngineOptions/progressIntervalMillis``), until the datastore is deleted or the engine stops.
    public nonisolated func watch(name: String) throws(EngineError) -> AsyncStream<DatastoreSnapshot> {
        let id = try identifier(of: name)
        let first = try snapshot(id: id)
        let signals = hub.subscribe(id)
        let interval = core.options.progressIntervalMillis
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            continuation.yield(first)
            let task = Task {
                var last = first
                for await _ in signals {
                    guard let next = try? self.snapshot(id: id) else { break }
                    if next != last {
                        continuation.yield(next)
                        last = next
                    }
                    try? await Task.sleep(for: .milliseconds(interval))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Explain (search and page reads: Engine+Search.swift)

    /// The manifest's account of one page.
    public nonisolated func explain(name: String, pageId: String) throws(EngineError) -> PageReport {
        let id = try identifier(of: name)
        let report: PageReport? = try engineCall {
            try core.store.read { txn in
                guard let entry = try core.tables.page(txn, datastore: id, pageId: pageId) else { return nil }
                return PageReport(entry: entry, url: Self.pageURL(record: try core.record(txn, id), entry: entry))
            }
        }
        guard let report else { throw .noSuchPage(datastore: name, pageId: pageId) }
        return report
    }

    static func pageURL(record: DatastoreRecord?, entry: ManifestEntry?) -> String? {
        guard let site = record?.site, let webui = entry?.webui else { return nil }
        return site.webURL(webui)
    }

    // MARK: Credits

    /// The balance, policy, spending and newest ledger lines.
    public nonisolated func credits(recent: Int) throws(EngineError) -> CreditsSnapshot {
        try engineCall {
            try core.store.read { txn in
                let names = try Dictionary(uniqueKeysWithValues: list(txn).map { ($0.0, $0.1) })
                let recentEntries = try core.ledger.recentEntries(txn, limit: recent)
                return CreditsSnapshot(
                    balance: try core.ledger.balance(txn), policy: try core.ledger.policy(txn),
                    spent: try core.ledger.spent(txn),
                    autoTopOffUsedThisMonth: try core.ledger.autoTopOffUsed(txn, monthOf: currentMillis()),
                    recent: recentEntries.map { ($0, $0.balanceAfter ?? 0) },
                    datastoreNames: names)
            }
        }
    }

    /// Every datastore's id and name, by name.
    nonisolated func list(_ txn: ReadTransaction) throws -> [(UInt64, String)] {
        var result: [(UInt64, String)] = []
        try txn.forEach(in: core.tables.names) { name, id in
            result.append((id, name))
            return .continue
        }
        return result
    }

    /// Adds credits (turning enforcement on) and resumes datastores paused for credits.
    public func addCredits(millicredits: Int64, note: String?) throws(EngineError) -> CreditsSnapshot {
        guard Limits.addedMillicredits.contains(millicredits) else {
            throw .invalid(field: "millicredits", message: "must be \(Limits.addedMillicredits.limits)")
        }
        _ = try engineCall {
            try core.store.write { txn in
                // Checked, not saturated: a top-up is refused rather than partly lost.
                guard try core.ledger.balance(txn) <= Limits.maxBalanceMillicredits - millicredits else {
                    throw EngineError.invalid(
                        field: "millicredits",
                        message: "the balance would pass its largest value, \(Credits.format(Limits.maxBalanceMillicredits)) credits")
                }
                try core.ledger.add(txn, millicredits: millicredits, note: note)
            }
        }
        core.logger.notice("\(Credits.format(millicredits)) credits added", metadata: [
            "message_id": "\(TributaryEvent.creditsAdded.messageID)", "millicredits": "\(millicredits)",
        ])
        try resumeCreditPauses()
        return try credits(recent: 10)
    }

    /// Changes the credit policy; a change that makes room resumes paused datastores.
    public func setCreditPolicy(_ change: (inout CreditPolicy) -> Void) throws(EngineError) -> CreditsSnapshot {
        try engineCall {
            try core.store.write { txn in
                var policy = try core.ledger.policy(txn)
                change(&policy)
                try core.ledger.setPolicy(txn, policy)
            }
        }
        try resumeCreditPauses()
        return try credits(recent: 10)
    }

    private func resumeCreditPauses() throws(EngineError) {
        for snapshot in try list() {
            if case .paused(.insufficientCredits) = snapshot.record.state {
                try resume(id: snapshot.record.id, onlyCreditPauses: true)
            }
        }
    }

    // MARK: Helpers

    private nonisolated func validate(_ configuration: DatastoreConfiguration, secret: String?) throws(EngineError) {
        do {
            try configuration.validate()
        } catch {
            throw .invalid(field: error.field, message: error.message)
        }
        if configuration.tokenSource == .stored, configuration.auth != .anonymous, secret == nil {
            throw .invalid(field: "token", message: "a token is required (give it with --token-file or on stdin)")
        }
    }

    /// Store statistics for health reports: bytes used and the current map size.
    public nonisolated func storeUsage() -> (used: Int64, map: Int64) {
        let info = core.store.info()
        return (Int64(info.usedBytes), Int64(info.mapSize))
    }
}

/// Credits as the control surface shows them.
public struct CreditsSnapshot: Sendable {
    public var balance: Int64
    public var policy: CreditPolicy
    public var spent: Int64
    public var autoTopOffUsedThisMonth: Int64
    /// Newest first, each with the balance after it.
    public var recent: [(entry: LedgerEntry, balanceAfter: Int64)]
    public var datastoreNames: [UInt64: String]
}

/// Runs storage work for the control surface, mapping errors to ``EngineError``.
func engineCall<T>(_ body: () throws -> T) throws(EngineError) -> T {
    do {
        return try body()
    } catch let error as EngineError {
        throw error
    } catch {
        throw .storage("\(error)")
    }
}

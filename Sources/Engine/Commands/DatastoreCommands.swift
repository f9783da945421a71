import Logging
import Search
import Storage

/// What a person can do to a datastore: create, update, delete, resync, pause, resume. Each is
/// one write transaction through the lifecycle; logs and notifications follow the commit.
struct DatastoreCommands: Sendable {
    let store: Store
    let datastores: DatastoreRepository
    let manifest: ManifestRepository
    let attachments: AttachmentRepository
    let queue: JobQueue
    let index: SearchIndex
    let lifecycle: LifecycleApplier
    let access: SiteAccess
    let clock: any EngineClock
    let logger: Logger
    let changed: @Sendable (UInt64) -> Void
    let scheduler: Scheduler
    let hub: WatchHub

    init(_ parts: EngineParts, scheduler: Scheduler, hub: WatchHub) {
        store = parts.store
        datastores = parts.datastores
        manifest = parts.manifest
        attachments = parts.attachments
        queue = parts.queue
        index = parts.index
        lifecycle = parts.lifecycle
        access = parts.access
        clock = parts.clock
        logger = parts.logger
        changed = parts.changed
        self.scheduler = scheduler
        self.hub = hub
    }

    /// Creates a datastore and queues its first sync. `secret` is stored in the `secrets` table.
    func create(_ configuration: DatastoreConfiguration, secret: String?) throws(EngineError) -> UInt64 {
        try Self.validate(configuration, secret: secret)
        let now = clock.nowMillis
        let done: AfterCommit = try engineStorage {
            try store.write { txn in
                if try datastores.identifier(txn, named: configuration.name) != nil {
                    throw EngineError.datastoreExists(configuration.name)
                }
                let record = try datastores.insert(txn, name: configuration.name, secret: secret) { id in
                    DatastoreRecord(id: id, configuration: configuration, now: now)
                }
                return try lifecycle.apply(txn, record: record, .created, now: now)
            }
        }
        access.noteRateLimit(configuration.rateLimit, for: configuration.url)
        logger.notice("datastore \(configuration.name) created", metadata: [
            "datastore": "\(configuration.name)",
            "origin": "\(configuration.origin)",
        ])
        done.perform(logger: logger, changed: changed)
        scheduler.wake()
        return done.record.id
    }

    /// Changes a datastore's configuration with `change`, applied to the stored configuration
    /// inside the write transaction (two concurrent updates of different fields both stay), and
    /// its secret when given. A change takes effect through an immediate resync.
    func update(
        name: String, secret: String?, change: (inout DatastoreConfiguration) throws(EngineError) -> Void
    ) throws(EngineError) -> UInt64 {
        let now = clock.nowMillis
        let done: AfterCommit = try engineStorage {
            try store.write { txn in
                guard let id = try datastores.identifier(txn, named: name),
                      var record = try datastores.record(txn, id) else { throw EngineError.noSuchDatastore(name) }
                var configuration = record.configuration
                try change(&configuration)
                configuration.name = record.configuration.name
                try Self.validate(configuration, secret: secret ?? "present")
                record.configuration = configuration
                if let secret { try datastores.setSecret(txn, id, secret) }
                return try lifecycle.apply(txn, record: record, .configurationChanged, now: now)
            }
        }
        access.noteRateLimit(done.record.configuration.rateLimit, for: done.record.configuration.url)
        done.perform(logger: logger, changed: changed)
        changed(done.record.id)
        scheduler.wake()
        return done.record.id
    }

    /// Removes a datastore with its index, manifest, jobs and secret. Its ledger lines stay.
    func delete(name: String, id: UInt64) async throws(EngineError) {
        await scheduler.cancelJob(of: id)
        try engineStorage {
            try store.write { txn in
                guard try datastores.record(txn, id) != nil else { throw EngineError.noSuchDatastore(name) }
                try queue.removeAll(txn, datastore: id)
                try index.removeDatastore(id, in: txn)
                try manifest.removeAll(txn, datastore: id)
                try attachments.removeAll(txn, datastore: id)
                try datastores.remove(txn, id, name: name)
            }
        }
        logger.notice("datastore \(name) deleted", metadata: ["datastore": "\(name)"])
        hub.finish(id)
    }

    /// Starts a metadata sync now (a running job finishes its step first). Refused while a
    /// person has it paused.
    func resync(id: UInt64) throws(EngineError) {
        try apply(.resyncRequested, to: id)
        scheduler.wake()
    }

    /// Pauses: nothing new starts, and the running step is cancelled.
    func pause(id: UInt64) async throws(EngineError) {
        let done = try transition(.pauseRequested, id: id)
        await scheduler.cancelJob(of: id)
        done.perform(logger: logger, changed: changed)
    }

    /// Resumes a paused or failed datastore: processing when pages wait and the site is
    /// known, a fresh metadata sync otherwise.
    func resume(id: UInt64) throws(EngineError) {
        try apply(.resumeRequested, to: id)
        scheduler.wake()
    }

    /// Resumes the datastores paused for credits (credits were added or the policy changed).
    func resumeCreditPauses() throws(EngineError) {
        let ids: [UInt64] = try engineStorage {
            try store.read { txn in try datastores.all(txn).map(\.id) }
        }
        for id in ids { try apply(.creditsAvailable, to: id) }
        scheduler.wake()
    }

    // MARK: Internals

    private enum ResumeKind { case resumeRequested, creditsAvailable }

    private func apply(_ kind: ResumeKind, to id: UInt64) throws(EngineError) {
        let done: AfterCommit? = try engineStorage {
            try store.write { txn in
                guard let record = try datastores.record(txn, id) else { throw EngineError.noSuchDatastore("#\(id)") }
                let pending = try manifest.counts(txn, datastore: id).pending
                let event: LifecycleEvent = switch kind {
                case .resumeRequested: .resumeRequested(pendingPages: pending, siteKnown: record.site != nil)
                case .creditsAvailable: .creditsAvailable(pendingPages: pending, siteKnown: record.site != nil)
                }
                return try lifecycle.apply(txn, record: record, event, now: clock.nowMillis)
            }
        }
        done?.perform(logger: logger, changed: changed)
    }

    private func apply(_ event: LifecycleEvent, to id: UInt64) throws(EngineError) {
        try transition(event, id: id).perform(logger: logger, changed: changed)
    }

    private func transition(_ event: LifecycleEvent, id: UInt64) throws(EngineError) -> AfterCommit {
        let now = clock.nowMillis
        let done: AfterCommit? = try engineStorage {
            try store.write { txn in try lifecycle.apply(txn, datastore: id, event, now: now) }
        }
        guard let done else { throw .noSuchDatastore("#\(id)") }
        return done
    }

    static func validate(_ configuration: DatastoreConfiguration, secret: String?) throws(EngineError) {
        do {
            try configuration.validate()
        } catch {
            throw .invalid(field: error.field, message: error.message)
        }
        if configuration.tokenSource == .stored, configuration.auth != .anonymous, secret == nil {
            throw .invalid(field: "token", message: "a token is required (give it with --token-file or on stdin)")
        }
    }
}

import Logging
import Search
import Storage

/// What the engine puts right in its store when it starts, before the scheduler runs: leases a
/// previous process held, the credit settings a new store is seeded with, values an older build
/// stored out of today's ranges, indexes written with another layout, and secrets stored before
/// a key was configured. Each is a migration of stored state; none runs while jobs do.
struct StartupUpkeep: Sendable {
    let store: Store
    let datastores: DatastoreRepository
    let manifest: ManifestRepository
    let attachments: AttachmentRepository
    let queue: JobQueue
    let ledger: CreditLedger
    let index: SearchIndex
    let lifecycle: LifecycleApplier
    let secrets: any SecretSealer
    let logger: Logger

    init(_ parts: EngineParts) {
        store = parts.store
        datastores = parts.datastores
        manifest = parts.manifest
        attachments = parts.attachments
        queue = parts.queue
        ledger = parts.ledger
        index = parts.index
        lifecycle = parts.lifecycle
        secrets = parts.secrets
        logger = parts.logger
    }

    /// Re-queues the jobs a previous process held (it is gone: its leases are void) and seeds
    /// the credit settings. The price and auto top-off given here seed a store that has no
    /// credit policy yet; once one is stored, the stored one wins (and a different configured
    /// price is reported).
    func releaseLeasesAndSeedCredits(now: Int64, initialCredits: Int64?, autoTopOff: CreditPolicy.AutoTopOff?,
                                     millicreditsPerThousandTokens: Int64?) throws(EngineError) {
        let kept: CreditPolicy? = try engineStorage {
            try store.write { txn in
                for job in try queue.all(txn) where job.lease != nil {
                    try queue.release(txn, job, now: now)
                }
                let stored = try ledger.storedPolicy(txn)
                if stored == nil, millicreditsPerThousandTokens != nil || autoTopOff != nil {
                    var policy = try ledger.policy(txn)
                    if let millicreditsPerThousandTokens { policy.millicreditsPerThousandTokens = millicreditsPerThousandTokens }
                    if let autoTopOff { policy.autoTopOff = autoTopOff }
                    try ledger.setPolicy(txn, policy)
                }
                if let initialCredits, try ledger.allEntries(txn).allSatisfy({ [.charge, .modelUsage, .embedding].contains($0.kind) }),
                   try !ledger.policy(txn).enforced {
                    try ledger.add(txn, millicredits: initialCredits, note: "initial_credits from the daemon configuration", now: now)
                }
                return stored
            }
        }
        if let kept, let configured = millicreditsPerThousandTokens, configured != kept.millicreditsPerThousandTokens {
            let message = "the stored credit price (\(Credits.format(kept.millicreditsPerThousandTokens)) per 1000 tokens) applies; "
                + "the configured \(Credits.format(configured)) only seeds a new store (change it with tributaryctl credits price)"
            logger.info("\(message)")
        }
    }

    /// Brings values an older build accepted beyond today's ranges (issue #13) into range, each
    /// with a warning, so a stored value can never trap the scheduler or a commit, and a
    /// password stored in a URL is never shown again.
    func clampStoredValues(now: Int64) throws(EngineError) {
        let warnings: [(String, Logger.Metadata)] = try engineStorage {
            try store.write { txn in
                var warnings: [(String, Logger.Metadata)] = []
                for (id, name) in try datastores.all(txn) {
                    guard var record = try datastores.record(txn, id) else { continue }
                    let fixes = StoredLimits.clamp(&record.configuration)
                    guard !fixes.isEmpty else { continue }
                    // A next sync scheduled from the old interval comes forward to the new one.
                    let latest = Lifecycle.nextSyncDue(record.configuration, now: now)
                    if record.state == .ready, let next = record.nextSync, next > latest {
                        try lifecycle.rescheduleNextSync(txn, &record, now: now)
                    }
                    try datastores.put(txn, record)
                    for fix in fixes { warnings.append(("datastore \(name): \(fix)", ["datastore": "\(name)"])) }
                }
                if var policy = try ledger.storedPolicy(txn) {
                    let fixes = StoredLimits.clamp(&policy)
                    if !fixes.isEmpty {
                        try ledger.setPolicy(txn, policy)
                        for fix in fixes { warnings.append(("credit policy: \(fix)", [:])) }
                    }
                }
                return warnings
            }
        }
        for (message, metadata) in warnings {
            logger.warning("\(message) (stored by an older version; now out of range)", metadata: metadata)
        }
    }

    /// Empties the index of every datastore written with another index layout or text
    /// analysis (after an upgrade of Tributary or of libstemmer, pages could not be replaced
    /// in place) and marks its pages for processing again. Page versions already paid for are
    /// not charged again. Returns the names of the datastores to sync.
    func dropOutdatedIndexes() throws(EngineError) -> [String] {
        try engineStorage {
            let outdated = try store.read { txn in
                try datastores.all(txn).filter { try index.needsRebuild(datastore: $0.id, in: txn) }
            }
            for (id, name) in outdated {
                // Gathered in a read snapshot first: never scan a table while writing it.
                let indexed = try store.read { txn in
                    try manifest.entries(txn, datastore: id) { $0.versionIndexed != nil || $0.disposition == .indexed }
                }
                try store.write { txn in
                    try index.removeDatastore(id, in: txn)
                    // Attachments are fetched again too (their versions are paid for already).
                    try attachments.removeAll(txn, datastore: id)
                    for old in indexed {
                        var new = old
                        new.versionIndexed = nil
                        new.disposition = .pending
                        new.reason = nil
                        new.chunks = 0
                        try manifest.put(txn, datastore: id, old: old, new: new)
                    }
                }
                logger.notice(
                    "the index of \(name) was written by another index format or text analysis; it is rebuilt from Confluence (\(indexed.count) pages, no credits charged again)",
                    metadata: ["datastore": "\(name)", "pages": "\(indexed.count)"])
            }
            return outdated.map(\.name)
        }
    }

    /// See ``Engine/sealStoredSecrets()``.
    func sealStoredSecrets() throws(EngineError) -> Int {
        let sealer = secrets
        let sealed: Int = try engineStorage {
            // Read first (never scan a table while writing it), seal outside the transaction.
            let plaintext = try store.read { try datastores.unsealedSecrets($0) }
            var resealed: [(UInt64, [UInt8])] = []
            for (id, stored) in plaintext {
                let bytes = try sealer.seal(try sealer.open(stored, datastore: id), datastore: id)
                // A sealer that keeps plaintext (no key configured) has nothing to migrate.
                if sealer.isSealed(bytes) { resealed.append((id, bytes)) }
            }
            try store.write { txn in
                for (id, bytes) in resealed { try datastores.replaceUnsealedSecret(txn, id, sealed: bytes) }
            }
            return resealed.count
        }
        if sealed > 0 {
            logger.notice("sealed \(sealed) stored secrets with the configured key (they were stored in plain text)",
                          metadata: ["secrets": "\(sealed)"])
        }
        return sealed
    }
}

import Foundation
import InputLimits
import Logging
import Search
import Storage
import TributaryEvents

/// Writes a prepared batch inside the caller's write transaction: the credit debit, the
/// chunks and postings, and each page's manifest entry, so a crash leaves either all of it or
/// none, and a page version is charged once however often its batch is replayed. Shared by
/// processing by id (``BatchProcessor``) and the single-pass listing (``SpaceListing``).
struct IndexCommit: Sendable {
    let datastore: UInt64
    let ledger: CreditLedger
    let index: SearchIndex
    let manifest: ManifestRepository
    let logger: Logger

    enum Result {
        /// Written; `cost` was debited, `toppedOff` credits were added first by auto top-off.
        case written(cost: Int64, toppedOff: Int64?)
        /// The balance cannot pay: nothing was written.
        case insufficientCredits(neededMillicredits: Int64)
    }

    /// `staged`: entries the caller diffed in this transaction but did not write (old, new by
    /// page id); each is written once, as its indexing leaves it. Nothing is written when the
    /// balance cannot pay: the caller writes them then.
    func write(_ batch: PreparedBatch, txn: WriteTransaction, now: Int64, tokenizer: Tokenizer?,
               staged: [String: (old: ManifestEntry?, new: ManifestEntry)] = [:]) throws -> Result {
        let policy = try ledger.policy(txn)
        var cost: Int64 = 0
        for result in batch.results where result.disposition == .indexed {
            if try !ledger.isCharged(txn, datastore: datastore, pageId: result.pageId, version: result.version ?? 0) {
                cost = Saturating.add(cost, policy.cost(tokens: result.tokens))
            }
        }
        var toppedOff: Int64?
        switch try ledger.authorize(txn, cost: cost, now: now) {
        case .insufficient(let needed):
            return .insufficientCredits(neededMillicredits: needed)
        case .allowedAfterTopOff(let added):
            toppedOff = added
        case .allowed:
            break
        }
        try index.apply(batch.pages, datastore: datastore, in: txn, tokenizer: tokenizer)
        for result in batch.results {
            let old: ManifestEntry?
            var entry: ManifestEntry
            if let (before, after) = staged[result.pageId] {
                (old, entry) = (before, after)
            } else {
                guard let stored = try manifest.page(txn, datastore: datastore, pageId: result.pageId) else { continue }
                (old, entry) = (stored, stored)
            }
            entry.disposition = result.disposition
            entry.reason = result.reason
            entry.lastProcessed = now
            if let title = result.title { entry.title = title }
            if let webui = result.webui { entry.webui = webui }
            if let lastModified = result.lastModified, result.version ?? 0 >= entry.versionSeen {
                entry.lastModified = lastModified
            }
            switch result.disposition {
            case .indexed:
                let version = result.version ?? entry.versionSeen
                entry.versionSeen = max(entry.versionSeen, version)
                entry.versionIndexed = version
                entry.chunks = result.chunks
                entry.tokens = result.tokens
                entry.unrenderedMacros = result.macros
                entry.failures = 0
                // The comments fetched with the body are those the cycle's survey saw.
                entry.commentsIndexed = entry.commentsSeen
                _ = try ledger.charge(txn, datastore: datastore, pageId: result.pageId, version: version,
                                      tokens: result.tokens, now: now)
            case .failed:
                entry.failures += 1
            default:
                entry.forgetIndexedContent()
            }
            try manifest.put(txn, datastore: datastore, old: old, new: entry)
        }
        return .written(cost: cost, toppedOff: toppedOff)
    }

    /// Logs an auto top-off once its transaction committed.
    func logTopOff(_ added: Int64?, datastoreName: String) {
        guard let added else { return }
        logger.notice("auto top-off added \(Credits.format(added)) credits",
                      metadata: ["message_id": "\(TributaryEvent.creditsAdded.messageID)", "datastore": "\(datastoreName)"])
    }
}

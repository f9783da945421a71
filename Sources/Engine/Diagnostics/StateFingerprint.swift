import Foundation
import Search
import Storage

/// Everything a sync leaves behind in a state directory that must not depend on how often it
/// was interrupted: the manifest, the index (chunks per page, statistics, ranked results of
/// fixed queries, the audit) and the credits (one charge per page version, the balance).
///
/// The crash test compares the fingerprint of a run killed many times with an uninterrupted
/// run's (`DaemonTests`, and `scripts/bench crash` at 20,000 pages through `TributaryBench
/// fingerprint`). Read it with no daemon running on the directory.
public struct StateFingerprint: Sendable, Equatable {
    /// Page id → disposition, versions seen and indexed, chunks, tokens, title and reason.
    public var manifest: [String: String] = [:]
    /// Page id → chunks the index holds for it.
    public var chunksPerPage: [String: Int] = [:]
    /// The index statistics (pages, chunks, field lengths).
    public var statistics = ""
    /// Per query: the top results with their scores, to six decimals.
    public var searches: [String] = []
    /// Every charge, as `page@version=millicredits`, sorted.
    public var charges: [String] = []
    /// Charges beyond the first for the same page version (0 when each version was charged once).
    public var duplicateCharges = 0
    /// The credit balance in millicredits.
    public var balance: Int64 = 0
    /// What the index audit found (empty for a consistent index).
    public var auditProblems: [String] = []

    /// Queries that find pages in the generated sample spaces of the fake Confluence.
    public static let handbookQueries = ["rotation certificate", "deploy rollback", "incident escalation policy", "budget quota",
                                         "\"shard replica\"", "onboarding laptop checklist"]

    /// Reads the fingerprint of datastore `name` in the store at `stateDirectory`.
    public init(stateDirectory: String, datastore name: String, queries: [String] = handbookQueries) throws {
        let store = try Store(configuration: StoreConfiguration(directory: stateDirectory))
        let tables = try EngineTables(store: store)
        let index = try SearchIndex(store: store)
        let ledger = try CreditLedger(store: store)
        let tokenizer = try Tokenizer()
        try store.read { txn in
            guard let id = try txn.get(tables.names, name) else { throw FingerprintError.noDatastore(name) }
            try txn.forEach(in: tables.pages, .prefix(PageRef.prefix(id))) { key, value in
                let entry = value.value
                manifest[key.pageId] = "\(entry.disposition.rawValue)|\(entry.versionSeen)|\(entry.versionIndexed ?? -1)|\(entry.chunks)|\(entry.tokens)|\(entry.title)|\(entry.reason ?? "")"
                chunksPerPage[key.pageId] = try index.chunkIDs(pageID: key.pageId, datastore: id, in: txn).count
                return .continue
            }
            let stats = try index.statistics(datastore: id, in: txn)
            statistics = "\(stats.pageCount) \(stats.chunkCount) \(stats.totalTitleLength) \(stats.totalHeadingLength) \(stats.totalBodyLength)"
            for query in queries {
                var options = SearchOptions()
                options.limit = 10
                let results = try index.search(query, datastore: id, options: options, in: txn, tokenizer: tokenizer)
                searches.append(query + ": " + results.map { "\($0.pageID)#\($0.ordinal)=\(String(format: "%.6f", $0.score))" }.joined(separator: ","))
            }
            auditProblems = try index.audit(datastore: id, in: txn).problems
            let entries = try ledger.allEntries(txn).filter { $0.kind == .charge }
            charges = entries.map { "\($0.pageId ?? "")@\($0.pageVersion ?? 0)=\($0.amount)" }.sorted()
            duplicateCharges = charges.count - Set(charges).count
            balance = try ledger.balance(txn)
        }
    }

    /// Pages per disposition (`indexed`, `skipped`, …), from the manifest.
    public var dispositions: [String: Int] {
        manifest.values.reduce(into: [:]) { counts, line in
            counts[String(line.prefix { $0 != "|" }), default: 0] += 1
        }
    }

    /// One line per fact, sorted within each section: what `TributaryBench fingerprint` writes
    /// for a script to digest and compare.
    public var lines: [String] {
        manifest.sorted { $0.key < $1.key }.map { "manifest \($0.key) \($0.value)" }
            + chunksPerPage.sorted { $0.key < $1.key }.map { "chunks \($0.key) \($0.value)" }
            + ["statistics \(statistics)"]
            + searches.map { "search \($0)" }
            + charges.map { "charge \($0)" }
            + ["duplicate_charges \(duplicateCharges)", "balance \(balance)"]
            + auditProblems.map { "audit \($0)" }
    }
}

/// Why a fingerprint could not be read.
public enum FingerprintError: Error, Equatable {
    /// The store holds no datastore of that name.
    case noDatastore(String)
}

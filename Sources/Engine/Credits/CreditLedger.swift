import Foundation
import InputLimits
import Storage

/// The daemon-wide credit balance, kept as an append-only ledger in LMDB.
///
/// Every method works inside a caller's transaction, so the engine checks, debits and writes a
/// processed batch in one commit: a crash either keeps all of it or none, and a page version is
/// charged exactly once.
public struct CreditLedger: Sendable {
    private let entries: Table<UInt64, LedgerRecord>
    private let charges: Table<ChargeKey, UInt64>
    private let counters: Table<String, Int64>
    private let settings: Table<String, JSONCoded<CreditPolicy>>

    private static let balanceKey = "credits.balance"
    private static let sequenceKey = "credits.sequence"
    private static let policyKey = "credits.policy"
    /// Millicredits charged for processing and model answers, ever (a running total, so reports never scan the ledger).
    private static let spentKey = "credits.spent"
    private static let autoTopOffKeyPrefix = "credits.autotopoff."

    public init(store: Store) throws(StorageError) {
        entries = try store.openTable("ledger")
        charges = try store.openTable("ledger_charges")
        counters = try store.openTable("counters")
        settings = try store.openTable("credit_policy")
    }

    /// The outcome of asking whether a batch costing some credits may run.
    public enum Authorization: Sendable, Equatable {
        /// Go ahead.
        case allowed
        /// Go ahead: auto top-off added this many millicredits first.
        case allowedAfterTopOff(Int64)
        /// Pause: this many more millicredits are needed.
        case insufficient(neededMillicredits: Int64)
    }

    /// The outcome of charging one page version.
    public enum ChargeResult: Sendable, Equatable {
        case charged(Int64)
        case alreadyCharged
    }

    /// The balance in millicredits.
    public func balance(_ txn: ReadTransaction) throws(StorageError) -> Int64 {
        try txn.get(counters, Self.balanceKey) ?? 0
    }

    /// The current policy (the metering-only default until one is set).
    public func policy(_ txn: ReadTransaction) throws(StorageError) -> CreditPolicy {
        try txn.get(settings, Self.policyKey)?.value ?? CreditPolicy()
    }

    /// The policy as stored; nil on a store where none was ever set (the configuration seeds it).
    public func storedPolicy(_ txn: ReadTransaction) throws(StorageError) -> CreditPolicy? {
        try txn.get(settings, Self.policyKey)?.value
    }

    /// Replaces the policy.
    public func setPolicy(_ txn: WriteTransaction, _ policy: CreditPolicy) throws(StorageError) {
        if policy.enforced, try !self.policy(txn).enforced {
            try startEnforcing(txn, now: Self.now())
        }
        try txn.put(settings, Self.policyKey, JSONCoded(policy))
    }

    /// Adds credits (a person's top-up) and turns enforcement on.
    @discardableResult
    public func add(_ txn: WriteTransaction, millicredits: Int64, note: String?, now: Int64 = now()) throws(StorageError) -> LedgerEntry {
        var policy = try self.policy(txn)
        if !policy.enforced {
            try startEnforcing(txn, now: now)
            policy.enforced = true
            try txn.put(settings, Self.policyKey, JSONCoded(policy))
        }
        return try append(txn, LedgerEntry(sequence: 0, timestamp: now, kind: .topUp, amount: millicredits, note: note))
    }

    /// Decides whether a batch costing `cost` millicredits may run, applying auto top-off when
    /// the policy allows. Writes the top-off entries into `txn`.
    public func authorize(_ txn: WriteTransaction, cost: Int64, now: Int64 = now()) throws(StorageError) -> Authorization {
        let policy = try self.policy(txn)
        guard policy.enforced else { return .allowed }
        var balance = try self.balance(txn)
        var added: Int64 = 0
        if let topOff = policy.autoTopOff, topOff.amount > 0 {
            let monthKey = Self.autoTopOffKeyPrefix + Self.month(of: now)
            var usedThisMonth = try txn.get(counters, monthKey) ?? 0
            // As many top-offs as keep the balance after the batch at or above the threshold (and
            // zero), within the month's cap: counted, not looped, so a tiny amount cannot spin.
            let shortfall = Saturating.subtract(Saturating.add(max(topOff.threshold, 0), cost), balance)
            let needed = shortfall > 0 ? (shortfall - 1) / topOff.amount + 1 : 0
            let room = max(Saturating.subtract(topOff.monthlyCap, usedThisMonth), 0) / topOff.amount
            let count = min(needed, room)
            if count > 0 {
                added = count * topOff.amount
                let below = "balance would fall below \(Credits.format(topOff.threshold))"
                try append(txn, LedgerEntry(
                    sequence: 0, timestamp: now, kind: .autoTopOff, amount: added,
                    note: count == 1 ? below : "\(count) top-offs of \(Credits.format(topOff.amount)): " + below
                ))
                balance = Saturating.add(balance, added)
                usedThisMonth = Saturating.add(usedThisMonth, added)
            }
            try txn.put(counters, monthKey, usedThisMonth)
        }
        if Saturating.subtract(balance, cost) < 0 {
            return .insufficient(neededMillicredits: Saturating.subtract(cost, balance))
        }
        return added > 0 ? .allowedAfterTopOff(added) : .allowed
    }

    /// Charges the indexing of one page version, once: a second charge of the same
    /// (datastore, page, version) is refused, so a batch replayed after a crash costs nothing.
    public func charge(
        _ txn: WriteTransaction,
        datastore: UInt64,
        pageId: String,
        version: Int,
        tokens: Int,
        now: Int64 = now()
    ) throws(StorageError) -> ChargeResult {
        let key = ChargeKey(datastore: datastore, pageId: pageId, version: UInt64(max(version, 0)))
        if try txn.contains(charges, key) { return .alreadyCharged }
        let cost = try policy(txn).cost(tokens: tokens)
        let entry = try append(txn, LedgerEntry(
            sequence: 0, timestamp: now, kind: .charge, amount: Saturating.subtract(0, cost),
            datastore: datastore, pageId: pageId, pageVersion: version, tokens: tokens
        ))
        try txn.put(charges, key, entry.sequence)
        try txn.put(counters, Self.spentKey, Saturating.add(try spent(txn), cost))
        return .charged(cost)
    }

    /// Charges the tokens of one model answer: its own entry kind, never deduplicated (each
    /// answer is new). Counts in `spent` like processing does. Returns the entry written.
    @discardableResult
    public func chargeModelUsage(
        _ txn: WriteTransaction, tokens: Int, millicredits: Int64, note: String, now: Int64 = now()
    ) throws(StorageError) -> LedgerEntry {
        let cost = max(0, millicredits)
        let entry = try append(txn, LedgerEntry(
            sequence: 0, timestamp: now, kind: .modelUsage, amount: -cost, tokens: max(0, tokens), note: note
        ))
        let (total, overflow) = try spent(txn).addingReportingOverflow(cost)
        try txn.put(counters, Self.spentKey, overflow ? .max : total)
        return entry
    }

    /// Charges one batch of chunk embeddings of a datastore: its own entry kind, never
    /// deduplicated (the batch's vectors are written in the same transaction, once). Counts in
    /// `spent`. Returns the entry written.
    @discardableResult
    public func chargeEmbedding(
        _ txn: WriteTransaction, datastore: UInt64, tokens: Int, millicredits: Int64, note: String, now: Int64 = now()
    ) throws(StorageError) -> LedgerEntry {
        let cost = max(0, millicredits)
        let entry = try append(txn, LedgerEntry(
            sequence: 0, timestamp: now, kind: .embedding, amount: -cost, datastore: datastore, tokens: max(0, tokens), note: note
        ))
        let (total, overflow) = try spent(txn).addingReportingOverflow(cost)
        try txn.put(counters, Self.spentKey, overflow ? .max : total)
        return entry
    }

    /// Millicredits charged for processing and model answers since the store was created.
    public func spent(_ txn: ReadTransaction) throws(StorageError) -> Int64 {
        try txn.get(counters, Self.spentKey) ?? 0
    }

    /// Millicredits auto top-off added in the calendar month (UTC) holding `millis`.
    public func autoTopOffUsed(_ txn: ReadTransaction, monthOf millis: Int64) throws(StorageError) -> Int64 {
        try txn.get(counters, Self.autoTopOffKeyPrefix + Self.month(of: millis)) ?? 0
    }

    /// Whether a page version was already paid for.
    public func isCharged(_ txn: ReadTransaction, datastore: UInt64, pageId: String, version: Int) throws(StorageError) -> Bool {
        try txn.contains(charges, ChargeKey(datastore: datastore, pageId: pageId, version: UInt64(max(version, 0))))
    }

    /// The newest entries first, at most `limit`, optionally only those before `sequence`.
    public func recentEntries(_ txn: ReadTransaction, limit: Int, before sequence: UInt64? = nil) throws -> [LedgerEntry] {
        guard limit > 0 else { return [] }
        var result: [LedgerEntry] = []
        let bounds: KeyBounds<UInt64> = sequence.map { .between(0, $0) } ?? .all
        try txn.forEach(in: entries, bounds, reverse: true) { _, entry in
            result.append(entry.value)
            return result.count >= limit ? .stop : .continue
        }
        return result
    }

    /// Every entry, oldest first (for audits and tests).
    public func allEntries(_ txn: ReadTransaction) throws -> [LedgerEntry] {
        var result: [LedgerEntry] = []
        try txn.forEach(in: entries) { _, entry in
            result.append(entry.value)
            return .continue
        }
        return result
    }

    // MARK: Internals

    @discardableResult
    private func append(_ txn: WriteTransaction, _ entry: LedgerEntry) throws(StorageError) -> LedgerEntry {
        var entry = entry
        let sequence = UInt64(try txn.get(counters, Self.sequenceKey) ?? 0) + 1
        entry.sequence = sequence
        // Saturates: amounts are range-checked where they enter; this only keeps a value stored
        // by an older build from trapping.
        let balanceAfter = Saturating.add(try balance(txn), entry.amount)
        entry.balanceAfter = balanceAfter
        try txn.put(entries, sequence, LedgerRecord(entry), mode: .append)
        try txn.put(counters, Self.sequenceKey, Int64(sequence))
        try txn.put(counters, Self.balanceKey, balanceAfter)
        return entry
    }

    /// Writes off spending metered before enforcement, so the first top-up is the balance.
    private func startEnforcing(_ txn: WriteTransaction, now: Int64) throws(StorageError) {
        let metered = try balance(txn)
        if metered != 0 {
            let writeOff = Saturating.subtract(0, metered)
            try append(txn, LedgerEntry(
                sequence: 0, timestamp: now, kind: .openingBalance, amount: writeOff,
                note: "spending metered before credits were enforced: \(Credits.format(writeOff))"
            ))
        }
    }

    /// Milliseconds since the Unix epoch.
    public static func now() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1_000)
    }

    /// `YYYY-MM` in UTC.
    static func month(of millis: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = calendar.dateComponents([.year, .month], from: Date(timeIntervalSince1970: Double(millis) / 1_000))
        return String(format: "%04d-%02d", components.year ?? 0, components.month ?? 0)
    }
}

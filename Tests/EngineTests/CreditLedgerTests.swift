import Testing
@testable import Engine
import Storage

@Suite("Credits")
struct CreditLedgerTests {
    @Test("Credit amounts format and parse exactly")
    func formatting() {
        #expect(Credits.format(12_500) == "12.5")
        #expect(Credits.format(-125) == "-0.125")
        #expect(Credits.format(3_000) == "3")
        #expect(Credits.parse("12.5") == 12_500)
        #expect(Credits.parse("0.125") == 125)
        #expect(Credits.parse("7") == 7_000)
        #expect(Credits.parse("1.2345") == nil)
        #expect(Credits.parse("-3") == nil)
        #expect(Credits.parse("abc") == nil)
        #expect(CreditPolicy(millicreditsPerThousandTokens: 1_000).cost(tokens: 1_500) == 1_500)
        #expect(CreditPolicy(millicreditsPerThousandTokens: 3).cost(tokens: 1) == 1)
    }

    @Test("A fresh daemon meters without enforcing; the first top-up starts enforcement at its amount")
    func meteringThenEnforcement() throws {
        let temporary = try TemporaryEngineStore()
        let ledger = try CreditLedger(store: temporary.store)
        try temporary.store.write { txn in
            #expect(try ledger.authorize(txn, cost: 1_000_000) == .allowed)
            #expect(try ledger.charge(txn, datastore: 1, pageId: "10", version: 1, tokens: 2_000) == .charged(2_000))
            #expect(try ledger.balance(txn) == -2_000)
            try ledger.add(txn, millicredits: 5_000, note: "first budget")
            #expect(try ledger.balance(txn) == 5_000)
            #expect(try ledger.authorize(txn, cost: 5_000) == .allowed)
            #expect(try ledger.authorize(txn, cost: 5_001) == .insufficient(neededMillicredits: 1))
        }
        let kinds = try temporary.store.read { txn in try ledger.allEntries(txn).map(\.kind) }
        #expect(kinds == [.charge, .openingBalance, .topUp])
    }

    @Test("Each page version is charged exactly once, a new version again")
    func chargeOnce() throws {
        let temporary = try TemporaryEngineStore()
        let ledger = try CreditLedger(store: temporary.store)
        try temporary.store.write { txn in
            try ledger.add(txn, millicredits: 10_000, note: nil)
            #expect(try ledger.charge(txn, datastore: 1, pageId: "7", version: 3, tokens: 1_000) == .charged(1_000))
            #expect(try ledger.charge(txn, datastore: 1, pageId: "7", version: 3, tokens: 1_000) == .alreadyCharged)
            #expect(try ledger.charge(txn, datastore: 2, pageId: "7", version: 3, tokens: 1_000) == .charged(1_000))
            #expect(try ledger.charge(txn, datastore: 1, pageId: "7", version: 4, tokens: 500) == .charged(500))
        }
        // An aborted batch charges nothing: the same version can be charged by the retry.
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            try temporary.store.write { txn in
                _ = try ledger.charge(txn, datastore: 1, pageId: "8", version: 1, tokens: 1_000)
                throw Crash()
            }
        }
        let (balance, charged, entries) = try temporary.store.read { txn in
            (try ledger.balance(txn), try ledger.isCharged(txn, datastore: 1, pageId: "8", version: 1), try ledger.allEntries(txn))
        }
        #expect(balance == 10_000 - 2_500)
        #expect(!charged)
        #expect(entries.map(\.sequence) == [1, 2, 3, 4])
        #expect(entries.reduce(0) { $0 + $1.amount } == balance)
    }

    @Test("Auto top-off keeps the balance above its threshold up to the monthly cap")
    func autoTopOff() throws {
        let temporary = try TemporaryEngineStore()
        let ledger = try CreditLedger(store: temporary.store)
        let november: Int64 = 1_795_000_000_000 // 2026-11-18
        let december: Int64 = november + 20 * 86_400_000
        try temporary.store.write { txn in
            try ledger.setPolicy(txn, CreditPolicy(
                enforced: true, millicreditsPerThousandTokens: 1_000,
                autoTopOff: .init(amount: 10_000, threshold: 2_000, monthlyCap: 25_000)
            ))
            #expect(try ledger.authorize(txn, cost: 5_000, now: november) == .allowedAfterTopOff(10_000))
            _ = try ledger.charge(txn, datastore: 1, pageId: "a", version: 1, tokens: 5_000, now: november)
            #expect(try ledger.balance(txn) == 5_000)
            // Needs two more top-offs (20,000) but only 15,000 of the cap is left: one is allowed.
            #expect(try ledger.authorize(txn, cost: 22_000, now: november) == .insufficient(neededMillicredits: 7_000))
            #expect(try ledger.balance(txn) == 15_000)
            // A new month resets the cap.
            #expect(try ledger.authorize(txn, cost: 22_000, now: december) == .allowedAfterTopOff(10_000))
        }
        let (entries, spent, usedNovember, usedDecember) = try temporary.store.read { txn in
            (try ledger.allEntries(txn), try ledger.spent(txn),
             try ledger.autoTopOffUsed(txn, monthOf: november), try ledger.autoTopOffUsed(txn, monthOf: december))
        }
        #expect(entries.filter { $0.kind == .autoTopOff }.count == 3)
        // The running totals that reports read equal a scan of the whole ledger.
        #expect(spent == 5_000)
        #expect(usedNovember == 20_000 && usedDecember == 10_000)
        let (none, newestTwo) = try temporary.store.read { txn in
            (try ledger.recentEntries(txn, limit: 0), try ledger.recentEntries(txn, limit: 2))
        }
        #expect(none.isEmpty)
        #expect(newestTwo.map(\.sequence) == entries.suffix(2).reversed().map(\.sequence))
        var running: Int64 = 0
        for entry in entries {
            running += entry.amount
            #expect(entry.balanceAfter == running, "entry \(entry.sequence)")
        }
        #expect(CreditLedger.month(of: november) == "2026-11")
        #expect(CreditLedger.month(of: december) == "2026-12")
    }
}

import Foundation
import Storage
import Testing
@testable import Engine

@Suite("Model answers: configuration and credits")
struct ModelUsageTests {
    @Test("model_usage: charged as its own kind, never deduplicated, counted in spent; the balance stays the sum")
    func ledger() throws {
        let temporary = try TemporaryEngineStore()
        let ledger = try CreditLedger(store: temporary.store)
        try temporary.store.write { txn in
            try ledger.add(txn, millicredits: 1_000, note: nil)
            try ledger.chargeModelUsage(txn, tokens: 1_200, millicredits: 120, note: "m: 1000 prompt + 200 completion tokens")
            try ledger.chargeModelUsage(txn, tokens: 1_200, millicredits: 120, note: "again")
            #expect(try ledger.authorize(txn, cost: 760) == .allowed)
            #expect(try ledger.authorize(txn, cost: 761) == .insufficient(neededMillicredits: 1))
        }
        let (balance, spent, entries) = try temporary.store.read { txn in
            (try ledger.balance(txn), try ledger.spent(txn), try ledger.allEntries(txn))
        }
        #expect(balance == 760)
        #expect(spent == 240)
        #expect(entries.map(\.kind) == [.topUp, .modelUsage, .modelUsage])
        #expect(entries.last?.tokens == 1_200)
        #expect(entries.last?.balanceAfter == 760)
        #expect(entries.reduce(0) { $0 + $1.amount } == balance)
        #expect(LedgerEntry.Kind.modelUsage.rawValue == "model_usage")
    }
}

import FakeConfluenceSupport
import Foundation
import Logging
import Storage
import Testing
@testable import Engine

/// Issue #13, defects 1, 4 and 5 in the engine: arithmetic that cannot trap, values stored by
/// older builds clamped at start, the stored credit price kept over restarts.
@Suite("Issue #13: engine arithmetic, stored values and the credit price", .serialized)
struct EngineInputDefectTests {
    @Test("Defect 4: the price set over the socket survives a restart; the configured one only seeds a new store")
    func priceSurvivesRestart() async throws {
        let temporary = try TemporaryEngineStore()
        let first = try Engine(store: temporary.store, logger: EngineHarness.quietLogger())
        try await first.start(millicreditsPerThousandTokens: 1_000)
        #expect(try first.credits(recent: 0).policy.millicreditsPerThousandTokens == 1_000)
        _ = try await first.setCreditPolicy { policy in
            policy.millicreditsPerThousandTokens = 500
            policy.autoTopOff = CreditPolicy.AutoTopOff(amount: 7_000, threshold: 1_000, monthlyCap: 70_000)
        }
        await first.stop()

        let second = try Engine(store: temporary.store, logger: EngineHarness.quietLogger())
        try await second.start(autoTopOff: CreditPolicy.AutoTopOff(amount: 1, threshold: 1, monthlyCap: 1),
                               millicreditsPerThousandTokens: 1_000)
        let policy = try second.credits(recent: 0).policy
        #expect(policy.millicreditsPerThousandTokens == 500)
        #expect(policy.autoTopOff == CreditPolicy.AutoTopOff(amount: 7_000, threshold: 1_000, monthlyCap: 70_000))
        await second.stop()

        // A new store takes the configured values.
        let fresh = try TemporaryEngineStore()
        let seeded = try Engine(store: fresh.store, logger: EngineHarness.quietLogger())
        try await seeded.start(autoTopOff: CreditPolicy.AutoTopOff(amount: 2_000, threshold: 0, monthlyCap: 20_000),
                               millicreditsPerThousandTokens: 250)
        #expect(try seeded.credits(recent: 0).policy.millicreditsPerThousandTokens == 250)
        #expect(try seeded.credits(recent: 0).policy.autoTopOff?.amount == 2_000)
        await seeded.stop()
    }

    @Test("Defects 1 and 5: an out-of-range interval, rate, price and a URL with a password stored by an older build are clamped at start")
    func storedValuesClampedAtStart() async throws {
        let temporary = try TemporaryEngineStore()
        let old = try Engine(store: temporary.store, logger: EngineHarness.quietLogger())
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try temporary.store.write { txn in
            var configuration = DatastoreConfiguration(
                name: "big", url: "https://user:SECRET@x.example/wiki/spaces/ENG?x=1", email: "a@b",
                resyncIntervalSeconds: .max, rateLimit: 0.000_000_1)
            configuration.origin = "socket"
            var record = DatastoreRecord(id: 7, configuration: configuration, now: now)
            record.state = .ready
            record.nextSync = .max
            try txn.put(old.parts.tables.names, "big", 7)
            try old.parts.datastores.put(txn, record)
            try old.parts.queue.enqueue(txn, datastore: 7, kind: .syncMetadata, due: .max - 1, maxAttempts: 3)
            try old.parts.ledger.setPolicy(txn, CreditPolicy(
                enforced: true, millicreditsPerThousandTokens: .max,
                autoTopOff: .init(amount: 922_337_203_685_477_581, threshold: .max, monthlyCap: -5)))
        }
        let engine = try Engine(store: temporary.store, logger: EngineHarness.quietLogger())
        try await engine.start(millicreditsPerThousandTokens: 1_000)
        let record = try engine.snapshot(name: "big").record
        #expect(record.configuration.resyncIntervalSeconds == 31_536_000)
        #expect(record.configuration.rateLimit == 0.01)
        #expect(record.configuration.url == "https://x.example/wiki/spaces/ENG?x=1")
        let due = try #require(record.nextSync)
        #expect(due <= Int64(Date().timeIntervalSince1970 * 1_000) + 31_536_000_000)
        let policy = try engine.credits(recent: 0).policy
        #expect(policy.millicreditsPerThousandTokens == 1_000_000_000)
        #expect(policy.autoTopOff == CreditPolicy.AutoTopOff(amount: 1_000_000_000_000_000, threshold: 1_000_000_000_000_000, monthlyCap: 0))
        await engine.stop()
    }

    @Test("Defect 1: the next sync of a datastore whose interval is Int.max is scheduled without a trap")
    func nextSyncSaturates() throws {
        let temporary = try TemporaryEngineStore()
        let engine = try Engine(store: temporary.store, logger: EngineHarness.quietLogger())
        try temporary.store.write { txn in
            var record = DatastoreRecord(
                id: 1, configuration: DatastoreConfiguration(name: "x", url: "https://x.example/wiki/spaces/X", resyncIntervalSeconds: .max),
                now: 0)
            try engine.parts.lifecycle.rescheduleNextSync(txn, &record, now: Int64(Date().timeIntervalSince1970 * 1_000))
            #expect(record.nextSync == .max)
        }
    }

    @Test("Defect 1: the ledger's balance and spending saturate instead of trapping at an extreme price")
    func ledgerSaturates() throws {
        let temporary = try TemporaryEngineStore()
        let ledger = try CreditLedger(store: temporary.store)
        try temporary.store.write { txn in
            try ledger.setPolicy(txn, CreditPolicy(enforced: false, millicreditsPerThousandTokens: .max))
            _ = try ledger.charge(txn, datastore: 1, pageId: "a", version: 1, tokens: 5_000)
            _ = try ledger.charge(txn, datastore: 1, pageId: "b", version: 1, tokens: 5_000)
            #expect(try ledger.balance(txn) == .min)
            #expect(try ledger.spent(txn) == .max)
            #expect(try ledger.authorize(txn, cost: .max) == .allowed)
            try ledger.add(txn, millicredits: .max, note: nil)
            try ledger.add(txn, millicredits: .max, note: nil)
            #expect(try ledger.balance(txn) == .max)
            try ledger.setPolicy(txn, CreditPolicy(
                enforced: true, millicreditsPerThousandTokens: 1, autoTopOff: .init(amount: .max, threshold: .max, monthlyCap: .max)))
            _ = try ledger.authorize(txn, cost: .max)
        }
        #expect(CreditPolicy(millicreditsPerThousandTokens: .max).cost(tokens: .max) == .max)
        #expect(CreditPolicy(millicreditsPerThousandTokens: 1).cost(tokens: -5) == 0)
    }

    @Test("Defect 1: auto top-off far below its threshold adds what is needed in one entry, not one write per amount")
    func autoTopOffInOneStep() throws {
        let temporary = try TemporaryEngineStore()
        let ledger = try CreditLedger(store: temporary.store)
        let entries = try temporary.store.write { txn in
            try ledger.setPolicy(txn, CreditPolicy(
                enforced: true, millicreditsPerThousandTokens: 1_000,
                autoTopOff: .init(amount: 1, threshold: 1_000_000_000_000_000, monthlyCap: 1_000_000_000_000_000)))
            #expect(try ledger.authorize(txn, cost: 10) == .allowedAfterTopOff(1_000_000_000_000_000))
            return try ledger.allEntries(txn)
        }
        #expect(entries.count == 1)
    }

    @Test("Defect 1: adding credits beyond the largest balance is refused with a typed error")
    func addCreditsChecked() async throws {
        let temporary = try TemporaryEngineStore()
        let engine = try Engine(store: temporary.store, logger: EngineHarness.quietLogger())
        await #expect(throws: EngineError.self) { try await engine.addCredits(millicredits: .max, note: nil) }
        try temporary.store.write { txn in
            try engine.parts.ledger.add(txn, millicredits: 999_999_999_999_999_999, note: nil)
        }
        _ = try await engine.addCredits(millicredits: 1, note: nil)
        await #expect(throws: EngineError.self) { try await engine.addCredits(millicredits: 1_000, note: nil) }
        #expect(try engine.credits(recent: 0).balance == 1_000_000_000_000_000_000)
    }

    @Test("Defect 1: a datastore stored with an Int.max interval and an Int64.max price syncs after a restart without a trap")
    func storedExtremesSync() async throws {
        try await EngineHarness.with(["--generate", "12", "--seed", "4"]) { harness in
            // Defined while nothing runs, then given what an older build could store.
            await harness.engine.stop()
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            let id = try harness.engine.identifier(of: "gen")
            try harness.temporary.store.write { txn in
                var record = try #require(try harness.engine.parts.datastores.record(txn, id))
                record.configuration.resyncIntervalSeconds = .max
                try harness.engine.parts.datastores.put(txn, record)
                try harness.engine.parts.ledger.setPolicy(txn, CreditPolicy(enforced: false, millicreditsPerThousandTokens: .max))
            }
            let restarted = try Engine(store: harness.temporary.store, options: EngineHarness.fastOptions(), logger: EngineHarness.quietLogger())
            try await restarted.start()
            let deadline = Date().addingTimeInterval(60)
            var snapshot = try restarted.snapshot(name: "gen")
            while Date() < deadline, snapshot.record.state != .ready || snapshot.record.nextSync == nil {
                try await Task.sleep(for: .milliseconds(20))
                snapshot = try restarted.snapshot(name: "gen")
            }
            #expect(snapshot.record.state == .ready, "\(snapshot.record.state) \(snapshot.record.lastError ?? "")")
            let next = try #require(snapshot.record.nextSync)
            #expect(next <= Int64(Date().timeIntervalSince1970 * 1_000) + 31_536_000_000)
            #expect(try restarted.credits(recent: 0).spent > 0)
            await restarted.stop()
        }
    }
}

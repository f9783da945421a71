import Confluence
import FakeConfluenceSupport
import Foundation
import Search
import Storage
import Testing
@testable import Engine

@Suite("Single-pass sync: a first sync indexes from the listing with bodies", .serialized)
struct SinglePassSyncTests {
    static func requests(_ harness: EngineHarness) async throws -> [String: Int] {
        try #require(try await harness.fake.stats()["byKind"] as? [String: Int])
    }

    @Test("A first sync lists with bodies and fetches nothing by id; a resync lists metadata only and fetches just the changed pages")
    func firstSyncIsOnePass() async throws {
        try await EngineHarness.with(["--generate", "800", "--seed", "11"]) { harness in
            try await harness.fake.resetStats()
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            let ready = try await harness.waitForReady("gen")
            var byKind = try await Self.requests(harness)
            let listings = Int((Double(ready.discovered) / 250).rounded(.up))
            #expect(byKind["v2.space_pages"] == listings, "\(byKind)")
            #expect(byKind["v2.pages"] == nil, "no body fetched by id: \(byKind)")
            #expect(ready.indexed > 700 && ready.pending == 0 && ready.failed == 0)
            let withBodies = try await harness.fake.stats()["pagesServedWithBody"] as? Int ?? 0
            #expect(withBodies == ready.discovered, "each page's body travelled once")
            // Every indexed page is charged once, in the transaction that indexed it.
            let id = try harness.engine.identifier(of: "gen")
            let manifest = try harness.manifest("gen")
            try harness.temporary.store.read { (txn: ReadTransaction) throws in
                for entry in manifest.values where entry.disposition == .indexed {
                    #expect(try harness.engine.parts.ledger.isCharged(txn, datastore: id, pageId: entry.pageId, version: entry.versionIndexed ?? -1))
                    #expect(try !harness.engine.parts.index.chunkIDs(pageID: entry.pageId, datastore: id, in: txn).isEmpty)
                }
                #expect(try harness.engine.parts.index.audit(datastore: id, in: txn).isConsistent)
            }

            let edited = try #require(manifest.values.first { $0.disposition == .indexed }).pageId
            try await harness.fake.editPage(edited, body: "<p>The marmalade gyroscope calibration.</p>")
            try await harness.fake.resetStats()
            let cycle = try harness.engine.snapshot(name: "gen").record.cycle
            _ = try await harness.engine.resync(name: "gen")
            _ = try await harness.waitFor("gen", "the next ready") { $0.record.cycle > cycle && $0.record.state == .ready }
            byKind = try await Self.requests(harness)
            #expect(try await harness.fake.stats()["pagesServedWithBody"] as? Int == 1, "only the edited body: \(byKind)")
            #expect(byKind["v2.pages"] == 1)
            #expect(try harness.engine.search(name: "gen", query: "marmalade gyroscope", limit: 3).first?.result.pageID == edited)
        }
    }

    @Test("Credits that run out during the single pass leave the rest pending; a top-up indexes them by id, each version charged once")
    func creditsRunOutDuringTheListing() async throws {
        try await EngineHarness.with(["--generate", "900", "--seed", "12"]) { harness in
            _ = try await harness.engine.addCredits(millicredits: 60_000, note: "test")
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            let paused = try await harness.waitFor("gen", "a credit pause") { snapshot in
                if case .paused(.insufficientCredits) = snapshot.record.state { return true }
                return false
            }
            #expect(paused.indexed > 0 && paused.pending > 0)
            _ = try await harness.engine.addCredits(millicredits: 100_000_000, note: "top-up")
            let ready = try await harness.waitForReady("gen")
            #expect(ready.pending == 0 && ready.indexed > paused.indexed)
            let charges = try harness.temporary.store.read { try harness.engine.parts.ledger.allEntries($0) }.filter { $0.kind == .charge }
            let keys = charges.map { "\($0.pageId ?? "")@\($0.pageVersion ?? 0)" }
            #expect(Set(keys).count == keys.count, "a page version was charged twice")
            #expect(charges.count == ready.indexed)
        }
    }
}

import Testing
@testable import Engine
import Storage

@Suite("Credit estimate of pending pages")
struct CreditEstimateTests {
    /// A manifest entry of datastore 1 with `disposition` and `tokens`.
    private static func entry(_ id: String, _ disposition: PageDisposition, tokens: Int) -> ManifestEntry {
        var entry = ManifestEntry(pageId: id, title: "Page \(id)", spaceKey: "ENG", parentId: nil, status: "current",
                                  versionSeen: 1, seenInCycle: 1, webui: nil)
        entry.disposition = disposition
        entry.tokens = tokens
        return entry
    }

    private static func estimate(_ entries: [ManifestEntry], defaultTokensPerPage: Int = 600) throws -> Int64 {
        let temporary = try TemporaryEngineStore()
        let tables = try EngineTables(store: temporary.store)
        let ledger = try CreditLedger(store: temporary.store)
        let manifest = ManifestRepository(tables: tables)
        try temporary.store.write { txn in
            // 2 credits per 1,000 tokens: a cost that is not simply the token count.
            try ledger.setPolicy(txn, CreditPolicy(millicreditsPerThousandTokens: 2_000))
            for entry in entries { try manifest.put(txn, datastore: 1, old: nil, new: entry) }
            // Another datastore's pages never count.
            try manifest.put(txn, datastore: 2, old: nil, new: entry("X", .pending, tokens: 90_000))
        }
        let estimate = CreditEstimate(ledger: ledger, manifest: manifest, defaultTokensPerPage: defaultTokensPerPage)
        return try temporary.store.read { try estimate.millicredits($0, datastore: 1) }
    }

    @Test("Pending pages cost their last token count, or the datastore's average per indexed page")
    func pendingPages() throws {
        // Known: 1,000 tokens; unknown: two pages at the indexed average (400 + 1,000) / 2 = 700,
        // not the default 600.
        let entries = [Self.entry("A", .pending, tokens: 1_000), Self.entry("B", .pending, tokens: 0),
                       Self.entry("C", .pending, tokens: 0), Self.entry("D", .indexed, tokens: 400),
                       Self.entry("E", .indexed, tokens: 1_000), Self.entry("F", .skipped, tokens: 5_000)]
        #expect(try Self.estimate(entries) == 2 * (1_000 + 2 * 700))
    }

    @Test("Before anything is indexed, a page of unknown size costs the default tokens per page")
    func nothingIndexedYet() throws {
        let entries = [Self.entry("A", .pending, tokens: 0), Self.entry("B", .pending, tokens: 0), Self.entry("C", .pending, tokens: 300)]
        #expect(try Self.estimate(entries, defaultTokensPerPage: 250) == 2 * (2 * 250 + 300))
    }

    @Test("Nothing pending costs nothing, however much is indexed")
    func nothingPending() throws {
        #expect(try Self.estimate([Self.entry("A", .indexed, tokens: 9_000)]) == 0)
        #expect(try Self.estimate([]) == 0)
    }
}

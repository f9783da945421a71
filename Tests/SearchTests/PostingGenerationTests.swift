import Content
import Storage
import Testing
@testable import Search

@Suite("Index: postings by chunk-id generation")
struct PostingGenerationTests {
    /// Forty pages sharing a vocabulary, so most terms have postings in several generations.
    static let pages: [TestPage] = (0..<40).map { number in
        TestPage(id: "p\(number)", title: "Runbook \(number % 7) for the storage cluster", sections: [
            ("", "The replica \(number % 5) serves queries while the primary takes writes and backups."),
            ("Failover", "Promote replica \(number % 3) when the primary stops answering health probes; "
                + "rotate certificates \(number % 4 == 0 ? "quarterly" : "monthly")."),
            ("Restore", "Restore snapshot \(number) into a new volume, then replay the write ahead log."),
        ])
    }

    static let queries = ["replica primary", "restore snapshot", "failover health probes", "runbook storage cluster",
                          "quarterly certificates", "write ahead log", "\"replay the write\"", "snapshot 17"]

    /// An index whose chunk-id counter starts at `firstChunkID`.
    static func fixture(firstChunkID: UInt64) throws -> IndexFixture {
        let fixture = try IndexFixture()
        if firstChunkID > 1 {
            try fixture.store.write { txn in
                try txn.put(fixture.index.tables.stats, 1, IndexStatistics(nextChunkID: firstChunkID))
            }
        }
        return fixture
    }

    /// What a result shows, chunk ids aside (they differ by construction).
    static func shown(_ fixture: IndexFixture, _ query: String) throws -> [String] {
        try fixture.search(query, options: SearchOptions(limit: 50)).map { result in
            "\(result.pageID)#\(result.headingPath) \(result.score)"
        }
    }

    @Test("Postings spread over several generations rank exactly as postings in one")
    func crossingGenerationsRanksTheSame() throws {
        let single = try Self.fixture(firstChunkID: 1)
        // Starts just below a generation boundary; batches of ten pages cross two more.
        let crossing = try Self.fixture(firstChunkID: PostingGeneration.firstChunkID(of: 3) - 5)
        for fixture in [single, crossing] {
            for start in stride(from: 0, to: Self.pages.count, by: 10) {
                try fixture.store.write { txn in
                    try fixture.index.replacePages(Self.pages[start..<start + 10].map(\.update), datastore: 1, in: txn,
                                                   tokenizer: fixture.tokenizer)
                }
            }
        }
        let stats = try crossing.store.read { txn in try crossing.index.statistics(datastore: 1, in: txn) }
        #expect(stats.postingGenerations.count >= 4)
        #expect(stats.postingGenerations.count - 1 > PostingGeneration.of(chunkID: PostingGeneration.firstChunkID(of: 3) - 5))
        for query in Self.queries {
            let expected = try Self.shown(single, query)
            #expect(!expected.isEmpty, "\(query)")
            #expect(try Self.shown(crossing, query) == expected, "\(query)")
        }
        #expect(try crossing.audit().problems == [])

        // Replacing and removing pages whose chunks sit in two generations deletes exactly their postings.
        for fixture in [single, crossing] {
            try fixture.store.write { txn in
                for number in stride(from: 0, to: 40, by: 3) {
                    try fixture.index.removePage("p\(number)", datastore: 1, in: txn)
                }
                try fixture.index.replacePages([Self.pages[1].update, Self.pages[11].update], datastore: 1, in: txn,
                                               tokenizer: fixture.tokenizer)
            }
            #expect(try fixture.audit().problems == [])
        }
        for query in Self.queries {
            #expect(try Self.shown(crossing, query) == Self.shown(single, query), "\(query)")
        }
    }

    @Test("A posting is keyed under its chunk's generation; the audit reports one that is not")
    func auditChecksGeneration() throws {
        let fixture = try Self.fixture(firstChunkID: PostingGeneration.firstChunkID(of: 1))
        try fixture.add(Self.pages[0])
        let key = TermKey(datastore: 1, generation: 1, term: "replica")
        let raw = try #require(fixture.store.read { txn in try txn.get(fixture.index.tables.postings, key) })
        #expect(PostingGeneration.of(chunkID: PostingEntry(raw: raw).chunkID) == 1)
        try fixture.store.write { txn in
            try txn.delete(fixture.index.tables.postings, key, value: raw)
            try txn.put(fixture.index.tables.postings, TermKey(datastore: 1, generation: 0, term: "replica"), raw)
        }
        #expect(try fixture.audit().problems.contains { $0.contains("is under generation 0") })
    }
}

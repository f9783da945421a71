import Content
import Storage
import Testing
@testable import Search
import RandomTestSupport

@Suite("Index writes")
struct IndexTests {
    static let install = TestPage(id: "100", title: "Installing Tributary", sections: [
        ("", "Tributary syncs Confluence pages into searchable datastores."),
        ("Debian", "Install the package with apt-get install tributary and enable the service."),
        ("Configuration", "Edit /etc/tributary/tributaryd.conf to set the worker count and rate limits."),
    ])
    static let backup = TestPage(id: "200", title: "Backups", sections: [
        ("Copying the store", "Run mdb_copy on the state directory while the daemon keeps running."),
        ("Restoring", "Stop the daemon, replace the directory and start it again."),
    ])

    @Test("Added pages are searchable and results carry page, heading, anchor and url")
    func addAndSearch() throws {
        let fixture = try IndexFixture()
        try fixture.add(Self.install)
        try fixture.add(Self.backup)
        let results = try fixture.search("worker count")
        let first = try #require(results.first)
        #expect(first.pageID == "100")
        #expect(first.title == "Installing Tributary")
        #expect(first.headingPath == ["Configuration"])
        #expect(first.anchor == "Configuration")
        #expect(first.urlHint == "https://wiki.example/pages/100")
        #expect(first.score > 0)
        #expect(try fixture.search("mdb_copy").first?.pageID == "200")
        #expect(try fixture.search("nonexistentword").isEmpty)
        #expect(try fixture.search("").isEmpty)
        #expect(try fixture.audit().isConsistent)
    }

    @Test("Replacing a page leaves no posting, chunk or statistic of the old version")
    func replaceLeavesNothingStale() throws {
        let fixture = try IndexFixture()
        try fixture.add(Self.backup)
        let reference = try fixture.rawRecordCounts()
        let referenceStats = try fixture.store.read { try fixture.index.statistics(datastore: 1, in: $0) }

        try fixture.add(Self.install)
        var edited = Self.install
        edited.title = "Installing the daemon"
        edited.sections = [("Ubuntu", "Use the zebracorn repository; apt-get install works the same way.")]
        try fixture.add(edited)

        // Words only the old version had are gone; the new version is found.
        #expect(try fixture.search("worker").isEmpty)
        #expect(try fixture.search("Confluence").isEmpty)
        #expect(try fixture.search("zebracorn").first?.pageID == "100")
        let audit = try fixture.audit()
        #expect(audit.problems == [])
        #expect(audit.storedStatistics.chunkCount == Self.backup.chunks.count + edited.chunks.count)

        // Deleting it returns every table to exactly what the other page alone has.
        try fixture.remove("100")
        #expect(try fixture.rawRecordCounts() == reference)
        let stats = try fixture.store.read { try fixture.index.statistics(datastore: 1, in: $0) }
        #expect(stats.chunkCount == referenceStats.chunkCount)
        #expect(stats.pageCount == referenceStats.pageCount)
        #expect(stats.totalBodyLength == referenceStats.totalBodyLength)
        #expect(stats.totalTitleLength == referenceStats.totalTitleLength)
        #expect(stats.totalHeadingLength == referenceStats.totalHeadingLength)
        #expect(stats.nextChunkID > referenceStats.nextChunkID)
        #expect(try fixture.audit().problems == [])

        try fixture.remove("200")
        let empty = try fixture.rawRecordCounts()
        #expect(empty[SearchTables.postingsName] == 0)
        #expect(empty[SearchTables.chunksName] == 0)
        #expect(empty[SearchTables.pagesName] == 0)
        let emptied = try fixture.store.read { try fixture.index.statistics(datastore: 1, in: $0) }
        #expect(emptied.chunkCount == 0 && emptied.pageCount == 0 && emptied.totalBodyLength == 0)
        #expect(emptied.totalTitleLength == 0 && emptied.totalHeadingLength == 0)
        #expect(try fixture.remove("200") == 0)
    }

    @Test("Many replacements in one transaction, with overlapping vocabulary, stay exact")
    func churn() throws {
        let fixture = try IndexFixture()
        var generator = SeededGenerator(seed: 7)
        let vocabulary = SyntheticWords.vocabulary(count: 300, using: &generator)
        func randomPage(_ id: Int) -> TestPage {
            let sections = (0..<Int.random(in: 1...4, using: &generator)).map { section in
                ("Part \(section)", (0..<Int.random(in: 5...200, using: &generator))
                    .map { _ in SyntheticWords.draw(vocabulary, using: &generator) }.joined(separator: " "))
            }
            return TestPage(id: "p\(id)", title: SyntheticWords.draw(vocabulary, using: &generator), sections: sections)
        }
        for round in 0..<6 {
            try fixture.store.write { txn in
                for id in 0..<25 where (id + round) % 3 != 0 {
                    let page = randomPage(id)
                    try fixture.index.replacePage(page.indexed, chunks: page.chunks, datastore: 1, in: txn,
                                                  tokenizer: fixture.tokenizer)
                }
                for id in 0..<25 where (id * 7 + round) % 5 == 0 {
                    try fixture.index.removePage("p\(id)", datastore: 1, in: txn)
                }
            }
            let audit = try fixture.audit()
            #expect(audit.problems == [], "round \(round)")
            #expect(audit.postings > 0)
        }
        try fixture.store.write { txn in
            for id in 0..<25 { try fixture.index.removePage("p\(id)", datastore: 1, in: txn) }
        }
        let counts = try fixture.rawRecordCounts()
        #expect(counts.filter { $0.key != SearchTables.statsName }.values.allSatisfy { $0 == 0 })
    }

    @Test("Removal derives a chunk's postings from its text; what it cannot find is an error, never left stale")
    func derivedRemovalIsChecked() throws {
        let fixture = try IndexFixture()
        try fixture.add(Self.install)
        try fixture.add(Self.backup)

        // A posting gone behind the index's back: removing its page fails and changes nothing.
        let raw = try #require(fixture.store.read { txn in
            try txn.get(fixture.index.tables.postings, TermKey(datastore: 1, generation: 0, term: "worker"))
        })
        let deleted = try fixture.store.write { txn in
            try txn.delete(fixture.index.tables.postings, TermKey(datastore: 1, generation: 0, term: "worker"), value: raw)
        }
        #expect(deleted)
        #expect(try fixture.audit().problems.contains { $0.hasPrefix("missing posting 'worker'") })
        #expect(throws: SearchError.self) { try fixture.remove("100") }
        #expect(try fixture.search("worker").isEmpty)
        #expect(try fixture.search("tributary").contains { $0.pageID == "100" })
        try fixture.store.write { txn in try txn.put(fixture.index.tables.postings, TermKey(datastore: 1, generation: 0, term: "worker"), raw) }
        #expect(try fixture.audit().problems == [])

        // A datastore recorded with another analysis is refused for writes, not half-cleaned.
        try fixture.store.write { txn in
            var stats = try fixture.index.statistics(datastore: 1, in: txn)
            stats.analysis ^= 1
            try txn.put(fixture.index.tables.stats, 1, stats)
        }
        #expect(try !fixture.audit().problems.isEmpty)
        #expect(throws: SearchError.self) { try fixture.remove("200") }
        #expect(throws: SearchError.self) { try fixture.add(Self.backup) }
        #expect(throws: SearchError.self) { try fixture.add(TestPage(id: "300", title: "New", sections: [("", "Fresh text.")])) }
        #expect(try fixture.search("mdb_copy").first?.pageID == "200")

        // An empty datastore takes this build's format, whatever it was written with before.
        try fixture.store.write { try fixture.index.removeDatastore(1, in: $0) }
        try fixture.add(Self.backup)
        try fixture.remove("200")
        #expect(try fixture.rawRecordCounts().filter { $0.key != SearchTables.statsName }.values.allSatisfy { $0 == 0 })
    }

    @Test("Datastores sharing a store never see each other")
    func datastoresIsolated() throws {
        let fixture = try IndexFixture()
        try fixture.add(Self.install, datastore: 1)
        try fixture.add(Self.backup, datastore: 2)
        var shadow = Self.backup
        shadow.id = "100"  // same page id in another datastore
        try fixture.add(shadow, datastore: 3)

        #expect(try fixture.search("worker", datastore: 1).map(\.pageID) == ["100"])
        #expect(try fixture.search("worker", datastore: 2).isEmpty)
        #expect(try fixture.search("worker", datastore: 3).isEmpty)
        #expect(try fixture.search("mdb_copy", datastore: 1).isEmpty)
        #expect(try fixture.search("mdb_copy", datastore: 2).map(\.pageID) == ["200"])

        try fixture.remove("100", datastore: 3)
        #expect(try fixture.search("worker", datastore: 1).map(\.pageID) == ["100"])
        #expect(try fixture.audit(datastore: 1).isConsistent)

        try fixture.store.write { try fixture.index.removeDatastore(2, in: $0) }
        #expect(try fixture.search("mdb_copy", datastore: 2).isEmpty)
        #expect(try fixture.audit(datastore: 1).chunks == Self.install.chunks.count)
        let stats = try fixture.store.read { try fixture.index.statistics(datastore: 2, in: $0) }
        #expect(stats == IndexStatistics())
    }

    @Test("Writes happen inside the caller's transaction and vanish with it")
    func atomicWithCaller() throws {
        struct Abort: Error {}
        let fixture = try IndexFixture()
        #expect(throws: Abort.self) {
            try fixture.store.write { txn in
                try fixture.index.replacePage(Self.install.indexed, chunks: Self.install.chunks, datastore: 1, in: txn,
                                              tokenizer: fixture.tokenizer)
                throw Abort()
            }
        }
        #expect(try fixture.search("worker").isEmpty)
        #expect(try fixture.rawRecordCounts().values.allSatisfy { $0 == 0 })
    }

    @Test("Over-long page ids are refused with a typed error")
    func longPageID() throws {
        let fixture = try IndexFixture()
        var page = Self.install
        page.id = String(repeating: "9", count: 401)
        #expect(throws: SearchError.pageIDTooLong(pageID: page.id, limit: 400)) {
            try fixture.store.write { txn in
                try fixture.index.replacePage(page.indexed, chunks: page.chunks, datastore: 1, in: txn,
                                              tokenizer: fixture.tokenizer)
            }
        }
    }

    @Test("Posting values pack id, length code and saturating field frequencies")
    func postingPacking() {
        let entry = PostingEntry(chunkID: PostingEntry.maxChunkID, lengthCode: 200,
                                 frequencies: FieldFrequencies(title: 9, heading: 5, body: 5_000))
        #expect(entry.chunkID == PostingEntry.maxChunkID)
        #expect(entry.lengthCode == 200)
        #expect(entry.frequencies == FieldFrequencies(title: 3, heading: 5, body: 2047))
        let lower = PostingEntry(chunkID: 5, lengthCode: 255, frequencies: FieldFrequencies(title: 3, heading: 7, body: 2047))
        let higher = PostingEntry(chunkID: 6, lengthCode: 0, frequencies: FieldFrequencies())
        #expect(lower.raw < higher.raw)
        #expect(LengthCode.encode(10) == 10)
        for length in [40, 400, 4_000] {
            let decoded = LengthCode.lengths[Int(LengthCode.encode(length))]
            #expect(abs(decoded - Double(length)) / Double(length) < 0.04)
        }
    }
}

@Suite("Batched and prepared writes")
struct BatchTests {
    static func corpus(seed: UInt64, pages: Int) -> [TestPage] {
        var generator = SeededGenerator(seed: seed)
        let vocabulary = SyntheticWords.vocabulary(count: 500, using: &generator)
        return (0..<pages).map { index in
            let sections = (0..<Int.random(in: 1...3, using: &generator)).map { section in
                ("Part \(section)", (0..<Int.random(in: 10...150, using: &generator))
                    .map { _ in SyntheticWords.draw(vocabulary, using: &generator) }.joined(separator: " "))
            }
            return TestPage(id: "b\(index)", title: "Batch page \(index)", sections: sections)
        }
    }

    @Test("A batch gives the same index as page-by-page writes")
    func batchEqualsSequential() throws {
        let pages = Self.corpus(seed: 3, pages: 30)
        let one = try IndexFixture()
        for page in pages { try one.add(page) }
        let batched = try IndexFixture()
        try batched.store.write { txn in
            try batched.index.replacePages(pages.map { PageUpdate(page: $0.indexed, chunks: $0.chunks) }, datastore: 1,
                                           in: txn, tokenizer: batched.tokenizer)
        }
        #expect(try one.rawRecordCounts() == batched.rawRecordCounts())
        let stats = try one.store.read { try one.index.statistics(datastore: 1, in: $0) }
        #expect(try batched.store.read { try batched.index.statistics(datastore: 1, in: $0) } == stats)
        for word in pages[7].sections[0].text.split(separator: " ").prefix(5) {
            let expected = try one.search(String(word)).map { [$0.pageID, $0.snippet] }
            #expect(try batched.search(String(word)).map { [$0.pageID, $0.snippet] } == expected)
        }
        #expect(try batched.audit().problems == [])
    }

    @Test("A page listed twice in a batch keeps its last version; an empty entry removes it")
    func duplicatesInBatch() throws {
        let fixture = try IndexFixture()
        try fixture.add(IndexTests.backup)
        var first = IndexTests.install
        first.sections = [("Old", "The quokkafish section of the first version.")]
        let second = IndexTests.install
        try fixture.store.write { txn in
            let change = try fixture.index.replacePages([
                PageUpdate(page: first.indexed, chunks: first.chunks),
                PageUpdate(page: IndexTests.backup.indexed, chunks: []),
                PageUpdate(page: second.indexed, chunks: second.chunks),
            ], datastore: 1, in: txn, tokenizer: fixture.tokenizer)
            #expect(change.addedChunks == second.chunks.count)
            #expect(change.removedChunks == IndexTests.backup.chunks.count)
        }
        #expect(try fixture.search("quokkafish").isEmpty)
        #expect(try fixture.search("mdb_copy").isEmpty)
        #expect(try fixture.search("worker").first?.pageID == "100")
        #expect(try fixture.audit().problems == [])
    }

    @Test("A batch of removals only (no chunk, so no term) prepares and applies")
    func prepareRemovalsOnly() throws {
        let fixture = try IndexFixture()
        let pages = Self.corpus(seed: 6, pages: 3)
        try fixture.store.write { txn in
            _ = try fixture.index.replacePages(pages.map { PageUpdate(page: $0.indexed, chunks: $0.chunks) },
                                               datastore: 1, in: txn, tokenizer: try Tokenizer())
        }
        #expect(try !fixture.search(pages[0].indexed.title).isEmpty)
        // Used to trap (a `1...0` range) when no update in the batch carried a term.
        let prepared = try fixture.index.prepare(pages.map { PageUpdate(page: $0.indexed, chunks: []) }, tokenizer: try Tokenizer())
        #expect(prepared.chunkCount == 0)
        try fixture.store.write { txn in
            try fixture.index.apply(prepared, datastore: 1, in: txn)
        }
        #expect(try fixture.audit().problems == [])
        #expect(try fixture.search(pages[0].indexed.title).isEmpty)
    }

    @Test("Pages prepared on another task apply in the writer's transaction")
    func prepareElsewhere() async throws {
        let fixture = try IndexFixture()
        let pages = Self.corpus(seed: 5, pages: 12)
        let index = fixture.index
        let prepared = try await Task.detached {
            try index.prepare(pages.map { PageUpdate(page: $0.indexed, chunks: $0.chunks) }, tokenizer: Tokenizer())
        }.value
        #expect(prepared.pageCount == 12)
        #expect(prepared.chunkCount == pages.reduce(0) { $0 + $1.chunks.count })
        try fixture.store.write { txn in
            try fixture.index.apply(prepared, datastore: 1, in: txn)
        }
        let audit = try fixture.audit()
        #expect(audit.problems == [])
        #expect(audit.chunks == prepared.chunkCount)
        let word = String(pages[3].sections[0].text.split(separator: " ").last!)
        #expect(try !fixture.search(word).isEmpty)
    }
}

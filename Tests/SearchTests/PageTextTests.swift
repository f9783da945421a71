import Content
import Storage
import Testing
@testable import Search
import RandomTestSupport

@Suite("Whole page texts")
struct PageTextTests {
    static let body = """
        <p>Lead paragraph about the café.</p>
        <h1>Install</h1><p>Start here.</p>
        <h2>Debian</h2><p>Run apt-get install tributary.</p>
        <ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>\
        <ac:plain-text-body><![CDATA[sudo systemctl enable tributaryd]]></ac:plain-text-body></ac:structured-macro>
        <h2>Fedora</h2><p>Run dnf install tributary.</p>
        <h1>Configure</h1><table><tbody><tr><th>Key</th><th>Value</th></tr><tr><td>workers</td><td>4</td></tr></tbody></table>
        <h3>Deep</h3><p>Tokyo is 東京; e\u{301} is one character but two scalars.</p>
        <h2>Empty</h2>
        """

    /// The scalars of `text` from `offset`, `length` of them.
    static func slice(_ text: String, _ offset: Int, _ length: Int) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(offset).prefix(length)))
    }

    @Test("The text is exactly the renderer's Markdown, and the outline finds every heading at its offset")
    func outlineOffsets() throws {
        let document = StorageFormat.convert(Self.body, title: "Installing Tributary")
        let text = PageText(document: document)
        #expect(text.markdown == MarkdownRenderer.render(document))
        #expect(text.outline.map(\.anchor) == ["Install", "Debian", "Fedora", "Configure", "Deep", "Empty"])
        #expect(text.outline.map(\.level) == [1, 2, 2, 1, 2, 2])
        for heading in text.outline {
            let section = Self.slice(text.markdown, heading.offset, heading.length)
            #expect(section.hasPrefix(String(repeating: "#", count: heading.title == "Deep" ? 3 : heading.level) + " " + heading.title),
                    "\(heading.anchor): \(section.prefix(30))")
        }
        let install = try #require(text.outline.first)
        let installText = Self.slice(text.markdown, install.offset, install.length)
        #expect(installText.contains("dnf install") && !installText.contains("Configure"))
        // The lead and the top sections tile the text: nothing lost, nothing twice.
        let configure = text.outline[3]
        let lead = Self.slice(text.markdown, 0, install.offset)
        #expect(lead.hasPrefix("# Installing Tributary\n\nLead paragraph"))
        #expect(lead + installText + Self.slice(text.markdown, configure.offset, configure.length) == text.markdown)
        #expect(configure.offset + configure.length == text.characterCount)
        // Offsets count scalars: the combining accent after "e" is one of them.
        let deep = text.outline[4]
        #expect(Self.slice(text.markdown, deep.offset, deep.length).contains("e\u{301} is one"))

        let decoded = try text.withStorageBytes { bytes in try PageText(storageBytes: bytes) }
        #expect(decoded == text)
    }

    @Test("A page of nothing but a title, and one of nothing at all")
    func degenerate() {
        let titled = PageText(document: Document(title: "Only a title", sections: [Section(heading: "", level: 0, anchor: "",
                                                                                              headingPath: [], blocks: [])]))
        #expect(titled.markdown == "# Only a title\n" && titled.outline.isEmpty)
        let empty = PageText(document: Document(title: "", sections: []))
        #expect(empty.markdown == "" && empty.outline.isEmpty && empty.characterCount == 0)
    }

    @Test("A page's text is written with its chunks, replaced with them and removed with them")
    func storedWithChunks() throws {
        let fixture = try IndexFixture()
        let install = IndexTests.install
        try fixture.store.write { txn in
            try fixture.index.replacePages([install.update, IndexTests.backup.update], datastore: 1, in: txn,
                                           tokenizer: fixture.tokenizer)
        }
        func text(_ id: String, datastore: UInt64 = 1) throws -> PageText? {
            try fixture.store.read { try fixture.index.pageText(pageID: id, datastore: datastore, in: $0) }
        }
        #expect(try text("100") == PageText(document: install.document))
        #expect(try text("100", datastore: 2) == nil)
        var audit = try fixture.audit()
        #expect(audit.problems == [] && audit.pageTexts == 2 && audit.pagesWithoutText == 0)

        var edited = install
        edited.sections = [("Ubuntu", "Use the zebracorn repository.")]
        try fixture.store.write { txn in
            try fixture.index.replacePages([edited.update], datastore: 1, in: txn, tokenizer: fixture.tokenizer)
        }
        #expect(try text("100")?.markdown.contains("zebracorn") == true)
        #expect(try text("100")?.markdown.contains("apt-get") == false)

        // Replaced by a caller that keeps no text: the old text does not outlive its chunks.
        try fixture.add(edited)
        #expect(try text("100") == nil)
        audit = try fixture.audit()
        #expect(audit.problems == [] && audit.pageTexts == 1 && audit.pagesWithoutText == 1)

        try fixture.remove("200")
        #expect(try text("200") == nil)
        try fixture.store.write { txn in
            try fixture.index.replacePages([install.update], datastore: 1, in: txn, tokenizer: fixture.tokenizer)
            try fixture.index.replacePages([IndexTests.backup.update], datastore: 2, in: txn, tokenizer: fixture.tokenizer)
        }
        try fixture.store.write { try fixture.index.removeDatastore(1, in: $0) }
        #expect(try text("100") == nil)
        #expect(try text("200", datastore: 2) != nil)
        try fixture.store.write { try fixture.index.removeDatastore(2, in: $0) }
        #expect(try fixture.rawRecordCounts()[SearchTables.documentsName] == 0)
    }

    @Test("A long text is stored in pieces and read back whole; the audit notices a lost piece or an orphan")
    func longTextAndAudit() throws {
        let fixture = try IndexFixture()
        var generator = SeededGenerator(seed: 3)
        let vocabulary = SyntheticWords.vocabulary(count: 500, using: &generator)
        let sections = (0..<40).map { index in
            ("Part \(index)", (0..<1_200).map { _ in SyntheticWords.draw(vocabulary, using: &generator) }.joined(separator: " "))
        }
        let long = TestPage(id: "777", title: "A very long page", sections: sections)
        try fixture.store.write { txn in
            try fixture.index.replacePages([long.update], datastore: 1, in: txn, tokenizer: fixture.tokenizer)
        }
        let stored = try #require(try fixture.store.read { try fixture.index.pageText(pageID: "777", datastore: 1, in: $0) })
        #expect(stored.markdown.utf8.count > 255_000)
        #expect(stored == PageText(document: long.document))
        #expect(try fixture.rawRecordCounts()[SearchTables.documentsName] ?? 0 > 200)
        #expect(try fixture.audit().problems == [])

        _ = try fixture.store.write { txn in
            try txn.delete(fixture.index.tables.documents, DocumentKey(datastore: 1, pageID: "777", piece: 5))
        }
        #expect(try fixture.audit().problems.contains { $0.contains("text of page '777'") })
        #expect(throws: SearchError.self) {
            try fixture.store.read { try fixture.index.pageText(pageID: "777", datastore: 1, in: $0) }
        }
        // Removing the page still takes every piece left.
        try fixture.remove("777")
        #expect(try fixture.rawRecordCounts()[SearchTables.documentsName] == 0)

        // A text whose page has no chunks.
        try fixture.store.write { txn in
            try fixture.index.putDocument(ChunkPieces.split([0, 0, 0, 0] + Array("# Orphan\n".utf8)), pageID: "9", datastore: 1,
                                          in: txn)
        }
        #expect(try fixture.audit().problems == ["page '9' has a stored text but no chunks"])
    }

    @Test("Texts written in page-id order fill their leaf pages; written in any order, across datastores, all read back")
    func packedInIDOrder() throws {
        let fixture = try IndexFixture()
        var generator = SeededGenerator(seed: 5)
        let vocabulary = SyntheticWords.vocabulary(count: 800, using: &generator)
        // Texts of 2-4 pieces each; ids of one width, so id order is key order (a listing's order).
        let pages = (0..<240).map { index in
            TestPage(id: String(10_000 + index), title: "Page \(index)", sections: (0..<3).map { part in
                ("Part \(part)", (0..<Int.random(in: 90...160, using: &generator)).map { _ in
                    SyntheticWords.draw(vocabulary, using: &generator)
                }.joined(separator: " "))
            })
        }
        func write(_ pages: [TestPage], datastore: UInt64) throws {
            for start in stride(from: 0, to: pages.count, by: 40) {
                try fixture.store.write { txn in
                    try fixture.index.replacePages(pages[start..<min(start + 40, pages.count)].map(\.update), datastore: datastore,
                                                   in: txn, tokenizer: fixture.tokenizer)
                }
            }
        }
        // Datastore 2 first, so datastore 1's keys never sort last: every put of its texts falls
        // back from appending to an ordinary insert.
        try write(pages.shuffled(using: &generator), datastore: 2)
        try write(pages, datastore: 1)
        try write(pages.reversed(), datastore: 3)
        for page in pages {
            for datastore: UInt64 in 1...3 {
                let stored = try fixture.store.read { try fixture.index.pageText(pageID: page.id, datastore: datastore, in: $0) }
                #expect(stored == PageText(document: page.document), "page \(page.id) of datastore \(datastore)")
            }
        }
        #expect(try fixture.audit().problems == [])

        // Alone in a table, texts written in id order are appended: leaf pages stay full instead
        // of being split in half at every insert past the last key.
        let packed = try IndexFixture()
        try packed.store.write { txn in
            try packed.index.replacePages(pages.map(\.update), datastore: 7, in: txn, tokenizer: packed.tokenizer)
        }
        let (bytes, statistics) = try packed.store.read { txn in
            var bytes = 0
            try txn.forEachRaw(in: packed.index.tables.documents) { key, value in
                bytes += key.count + value.count
                return .continue
            }
            return (bytes, try txn.statistics(packed.index.tables.documents))
        }
        #expect(statistics.entries > 2 * pages.count)
        let fill = Double(bytes) / Double(statistics.leafPages * statistics.pageSize)
        #expect(fill > 0.8, "documents fill \(fill) of \(statistics.leafPages) leaf pages")
    }
}

@Suite("Filtered search and passages")
struct FilteredSearchTests {
    /// 200 pages that all match "alpha", with words of their own around it.
    static func corpus(_ fixture: IndexFixture) throws {
        var generator = SeededGenerator(seed: 11)
        let vocabulary = SyntheticWords.vocabulary(count: 200, using: &generator)
        let pages = (0..<200).map { id in
            TestPage(id: "p\(id)", title: "Page \(id)", sections: [
                ("Overview", (0..<Int.random(in: 10...80, using: &generator)).map { _ in
                    SyntheticWords.draw(vocabulary, using: &generator)
                }.joined(separator: " ") + " alpha" + String(repeating: " alpha", count: id % 4)),
            ])
        }
        try fixture.store.write { txn in
            try fixture.index.replacePages(pages.map(\.update), datastore: 1, in: txn, tokenizer: fixture.tokenizer)
        }
    }

    @Test("A filter that rejects most candidates still yields `limit` results: the best of the pages it accepts")
    func limitSurvivesFiltering() throws {
        let fixture = try IndexFixture()
        try Self.corpus(fixture)
        let wanted: Set<String> = ["p3", "p40", "p77", "p120", "p121", "p150", "p199"]
        var asked: [String] = []
        let filtered = try fixture.store.read { txn in
            try fixture.index.search("alpha", datastore: 1, options: SearchOptions(limit: 5), in: txn,
                                     tokenizer: fixture.tokenizer) { pageID in
                asked.append(pageID)
                return wanted.contains(pageID)
            }
        }
        #expect(filtered.count == 5)
        #expect(filtered.allSatisfy { wanted.contains($0.pageID) })
        #expect(Set(asked).count == asked.count, "the filter saw a page twice")
        // The same as filtering every result afterwards: nothing better was passed over.
        let all = try fixture.search("alpha", options: SearchOptions(limit: 1_000))
        #expect(all.count == 200)
        let expected = all.filter { wanted.contains($0.pageID) }.prefix(5)
        #expect(filtered.map(\.pageID) == expected.map(\.pageID))
        #expect(filtered.map(\.score) == expected.map(\.score))

        let none = try fixture.store.read { txn in
            try fixture.index.search("alpha", datastore: 1, options: SearchOptions(limit: 5), in: txn,
                                     tokenizer: fixture.tokenizer) { _ in false }
        }
        #expect(none.isEmpty)
        // Per-page caps and phrases work on the filtered pool too.
        let capped = try fixture.store.read { txn in
            try fixture.index.search("\"alpha alpha\" overview", datastore: 1, options: SearchOptions(limit: 4, maxResultsPerPage: 1),
                                     in: txn, tokenizer: fixture.tokenizer) { wanted.contains($0) }
        }
        #expect(capped.count == 4 && Set(capped.map(\.pageID)).count == 4 && capped.allSatisfy { wanted.contains($0.pageID) })
    }

    @Test("A page with many matching chunks does not crowd the others out of a capped, filtered search")
    func capWithFilter() throws {
        let fixture = try IndexFixture()
        try Self.corpus(fixture)
        let big = TestPage(id: "big", title: "Alpha everywhere", sections: (0..<60).map { index in
            ("Part \(index)", "alpha alpha alpha alpha beta gamma delta section \(index)")
        })
        try fixture.add(big)
        #expect(big.chunks.count == 60)
        let wanted: Set<String> = ["big", "p3", "p40", "p77"]
        let results = try fixture.store.read { txn in
            try fixture.index.search("alpha", datastore: 1, options: SearchOptions(limit: 4, maxResultsPerPage: 1), in: txn,
                                     tokenizer: fixture.tokenizer) { wanted.contains($0) }
        }
        #expect(Set(results.map(\.pageID)) == wanted)
        #expect(results.first?.pageID == "big")
    }

    @Test("A filter's storage error reaches the caller typed")
    func filterErrors() throws {
        struct Broken: Error {}
        let fixture = try IndexFixture()
        try fixture.add(IndexTests.install)
        #expect(throws: SearchError.self) {
            try fixture.store.read { txn in
                try fixture.index.search("tributary", datastore: 1, in: txn, tokenizer: fixture.tokenizer) { _ in throw Broken() }
            }
        }
    }

    @Test("A result carries its chunk's Markdown, and its passage names the page and headings above it")
    func passage() throws {
        let fixture = try IndexFixture()
        try fixture.add(IndexTests.install)
        let hit = try #require(try fixture.search("worker count").first)
        #expect(hit.text.hasPrefix("## Configuration\n"))
        #expect(hit.text.contains("worker count"))
        #expect(hit.passage == "Installing Tributary › Configuration\n\n" + hit.text)
        // A top heading that repeats the title is named once.
        var repeated = hit
        repeated.headingPath = ["Installing Tributary", "Configuration"]
        #expect(repeated.passage == hit.passage)
    }

    @Test("The candidate queue hands out every candidate in ranking order")
    func candidateQueue() {
        var generator = SeededGenerator(seed: 5)
        var queue = CandidateQueue()
        var top = TopK(capacity: 1_000)
        for id in 0..<1_000 {
            let score = Double(UInt8.random(in: 0...40, using: &generator))  // many ties
            queue.offer(score: score, id: UInt64(id), matched: 0)
            top.offer(score: score, id: UInt64(id), matched: 0)
        }
        var popped: [UInt64] = []
        while let entry = queue.popBest() { popped.append(entry.id) }
        #expect(popped == top.sorted().map(\.id))
    }
}

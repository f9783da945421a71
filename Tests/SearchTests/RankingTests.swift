import Content
import Storage
import Testing
@testable import Search
import RandomTestSupport

@Suite("Ranking and snippets")
struct RankingTests {
    @Test("A title match outranks a body match, and a heading match sits between")
    func fieldWeights() throws {
        let fixture = try IndexFixture()
        let filler = "The service reads its settings at start and writes progress to the journal as it goes."
        try fixture.add(TestPage(id: "body", title: "Operations handbook", sections: [
            ("Overview", filler + " Rotation of the credentials happens monthly. " + filler),
        ]))
        try fixture.add(TestPage(id: "title", title: "Credentials rotation", sections: [
            ("Overview", filler + " " + filler),
        ]))
        try fixture.add(TestPage(id: "heading", title: "Security notes", sections: [
            ("Rotating credentials", filler + " " + filler),
        ]))
        let ranked = try fixture.search("credential rotation").map(\.pageID)
        #expect(ranked == ["title", "heading", "body"])
    }

    @Test("Rarer terms and more matched terms rank higher")
    func idfAndCoverage() throws {
        let fixture = try IndexFixture()
        for index in 0..<20 {
            try fixture.add(TestPage(id: "common\(index)", title: "Page \(index)", sections: [
                ("Notes", "The daemon logs to the journal. Nothing special here about item \(index)."),
            ]))
        }
        try fixture.add(TestPage(id: "rare", title: "Quirks", sections: [
            ("Notes", "The daemon logs a frobnicator warning when the quota is low."),
        ]))
        #expect(try fixture.search("daemon frobnicator").first?.pageID == "rare")
        #expect(try fixture.search("daemon journal frobnicator").first?.pageID == "rare")
    }

    @Test("Snippets come from the best window and mark the matched words")
    func snippets() throws {
        let fixture = try IndexFixture()
        let before = (0..<80).map { "alpha\($0)" }.joined(separator: " ")
        let after = (0..<80).map { "omega\($0)" }.joined(separator: " ")
        try fixture.add(TestPage(id: "1", title: "Long page", sections: [
            ("", before + " When the cache is cold, the daemon rebuilds its cache from Confluence. " + after),
        ]))
        let result = try #require(try fixture.search("rebuilding the cache").first)
        #expect(result.snippet.contains("«rebuilds»"))
        #expect(result.snippet.contains("«cache»"))
        #expect(!result.snippet.contains("alpha0 "))
        #expect(result.snippet.hasPrefix("… "))
        #expect(result.snippet.hasSuffix(" …"))
        #expect(!result.snippet.contains("\n"))

        let custom = SearchOptions(snippetWords: 8, highlightOpen: "**", highlightClose: "**")
        let marked = try #require(try fixture.search("confluence", options: custom).first)
        #expect(marked.snippet.contains("**Confluence**"))
        #expect(marked.snippet.split(separator: " ").filter { $0 != "…" }.count <= 9)
    }

    @Test("A quoted phrase lifts the chunk that contains it verbatim")
    func phraseBonus() throws {
        let fixture = try IndexFixture()
        try fixture.add(TestPage(id: "scattered", title: "Notes", sections: [
            ("", "The limit on rate is set per site. Each site has a limit, and rate changes are logged."),
        ]))
        try fixture.add(TestPage(id: "verbatim", title: "Notes", sections: [
            ("", "Tributary keeps a rate limit for every Confluence site it syncs from, and backs off."),
        ]))
        #expect(try fixture.search("\"rate limit\"").first?.pageID == "verbatim")
    }

    @Test("Per-page caps and limits are honoured")
    func limits() throws {
        let fixture = try IndexFixture()
        let long = (0..<40).map { "Sentence \($0) mentions the watchdog timer again." }.joined(separator: " ")
        try fixture.add(TestPage(id: "long", title: "Watchdog", sections: [("One", long), ("Two", long)]))
        try fixture.add(TestPage(id: "short", title: "Other", sections: [("", "The watchdog is systemd's.")]))
        let all = try fixture.search("watchdog", options: SearchOptions(limit: 50))
        #expect(all.count == Set(all.map(\.chunkID)).count)
        #expect(all.count > 3)
        let capped = try fixture.search("watchdog", options: SearchOptions(limit: 50, maxResultsPerPage: 1))
        #expect(capped.map(\.pageID).sorted() == ["long", "short"])
        #expect(try fixture.search("watchdog", options: SearchOptions(limit: 2)).count == 2)
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.score >= $1.score })
    }

    @Test("Searching through the Store convenience sees committed pages")
    func storeConvenience() throws {
        let fixture = try IndexFixture()
        try fixture.add(IndexTests.install)
        let results = try fixture.index.search("rate limits", datastore: 1)
        #expect(results.first?.pageID == "100")
    }

    @Test("A phrase from any indexed section finds that section's page first", arguments: [11, 23, 47])
    func phraseFromAnySection(seed: Int) throws {
        let fixture = try IndexFixture()
        var generator = SeededGenerator(seed: UInt64(seed))
        let vocabulary = SyntheticWords.vocabulary(count: 3_000, using: &generator)
        var pages: [TestPage] = []
        for pageIndex in 0..<60 {
            let sections = (0..<Int.random(in: 1...5, using: &generator)).map { sectionIndex in
                let words = (0..<Int.random(in: 20...300, using: &generator)).map { _ in
                    SyntheticWords.draw(vocabulary, using: &generator)
                }
                return ("Section \(sectionIndex)", words.joined(separator: " "))
            }
            pages.append(TestPage(id: "page-\(pageIndex)", title: "Page \(pageIndex)", sections: sections))
        }
        try fixture.store.write { txn in
            for page in pages {
                try fixture.index.replacePage(page.indexed, chunks: page.chunks, datastore: 9, in: txn,
                                              tokenizer: fixture.tokenizer)
            }
        }
        // The indexed unit is the chunk, so phrases are drawn from chunks: a phrase that
        // straddles two chunks is in neither verbatim.
        var checked = 0
        var plainHits = 0
        for page in pages {
            for chunk in page.chunks {
                let lines = chunk.text.split(separator: "\n").filter { !$0.hasPrefix("#") }
                let words = lines.joined(separator: " ").split(separator: " ")
                guard words.count >= 6 else { continue }
                let start = Int.random(in: 0...(words.count - 6), using: &generator)
                let phrase = words[start..<(start + 6)].joined(separator: " ")
                let quoted = try fixture.search("\"\(phrase)\"", datastore: 9, options: SearchOptions(limit: 3))
                #expect(quoted.first?.pageID == page.id, "quoted '\(phrase)' from \(page.id): got \(quoted.map(\.pageID))")
                let plain = try fixture.search(phrase, datastore: 9, options: SearchOptions(limit: 3))
                if plain.first?.pageID == page.id { plainHits += 1 }
                checked += 1
            }
        }
        // Unquoted, it is a bag of words: a chunk repeating common words may legitimately win,
        // yet the source page must come first in the great majority of cases.
        #expect(Double(plainHits) >= 0.9 * Double(checked), "\(plainHits) of \(checked)")
        #expect(checked >= 60)
    }

    @Test("Concurrent searches, each with its own tokenizer, run while the writer commits")
    func concurrentReaders() async throws {
        let fixture = try IndexFixture()
        try fixture.add(IndexTests.install)
        let index = fixture.index
        let pages = BatchTests.corpus(seed: 21, pages: 40)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let tokenizer = try Tokenizer()
                    var found = 0
                    for _ in 0..<50 {
                        found += try index.store.read { txn in
                            try index.search("worker count", datastore: 1, in: txn, tokenizer: tokenizer).count
                        }
                    }
                    return found
                }
            }
            group.addTask {
                let tokenizer = try Tokenizer()
                for page in pages {
                    try index.store.write { txn in
                        try index.replacePage(page.indexed, chunks: page.chunks, datastore: 1, in: txn, tokenizer: tokenizer)
                    }
                }
                return 0
            }
            var total = 0
            for try await found in group { total += found }
            #expect(total >= 200)  // every search saw the committed install page
        }
        #expect(try fixture.audit().problems == [])
    }
}

import Content
import Storage
import Testing
@testable import Search

@Suite("Proximity, title matches and per-page caps")
struct ProximityRankingTests {
    static let filler = "The service reads its settings at start and writes progress to the journal as it goes along."

    @Test("Query words standing together outrank the same words far apart")
    func nearWordsWin() throws {
        let fixture = try IndexFixture()
        // Same words, same counts, same length: only their distance differs.
        try fixture.add(TestPage(id: "apart", title: "Notes", sections: [
            ("", "Rotate often. " + Self.filler + " " + Self.filler + " Keep the signing keys offline."),
        ]))
        try fixture.add(TestPage(id: "near", title: "Notes", sections: [
            ("", "Keep the signing offline. " + Self.filler + " " + Self.filler + " Rotate keys often."),
        ]))
        let ranked = try fixture.search("rotate keys")
        #expect(ranked.map(\.pageID) == ["near", "apart"])
        #expect(ranked[0].score > ranked[1].score)

        // Without the bonus the two tie (the lower chunk id, "apart", comes first).
        let off = SearchOptions(ranking: RankingParameters(proximityBoost: 0))
        let plain = try fixture.search("rotate keys", options: off)
        #expect(plain.map(\.pageID) == ["apart", "near"])
        #expect(plain[0].score == plain[1].score)
    }

    @Test("A title holding both words outranks a long body that mentions them once")
    func titleMatch() throws {
        let fixture = try IndexFixture()
        let long = (0..<12).map { _ in Self.filler }.joined(separator: " ")
        try fixture.add(TestPage(id: "body", title: "Operations handbook", sections: [
            ("", long + " Backup verification happens weekly in a restore drill. " + long),
        ]))
        try fixture.add(TestPage(id: "title", title: "Backup verification", sections: [
            ("", Self.filler),
        ]))
        #expect(try fixture.search("backup verification").map(\.pageID) == ["title", "body"])
    }

    @Test("With a per-page cap, one long page matching everywhere still leaves `limit` distinct pages")
    func capFillsWithOtherPages() throws {
        let fixture = try IndexFixture()
        // Every chunk of this page carries the query word in its title.
        let sections = (0..<40).map { ("Part \($0)", Self.filler + " " + Self.filler + " " + Self.filler) }
        try fixture.add(TestPage(id: "long", title: "Watchdog manual", sections: sections))
        for index in 0..<12 {
            try fixture.add(TestPage(id: "short\(index)", title: "Note \(index)", sections: [
                ("", Self.filler + " The watchdog restarts the unit \(index)."),
            ]))
        }
        let results = try fixture.search("watchdog", options: SearchOptions(limit: 10, maxResultsPerPage: 1))
        #expect(results.count == 10)
        #expect(Set(results.map(\.pageID)).count == 10)
        #expect(results.first?.pageID == "long")
        let two = try fixture.search("watchdog", options: SearchOptions(limit: 10, maxResultsPerPage: 2))
        #expect(two.count == 10)
        #expect(two.filter { $0.pageID == "long" }.count == 2)
    }

    @Test("Pairs are neighbouring unquoted words, stop words skipped")
    func pairs() throws {
        let tokenizer = try Tokenizer()
        let query = SearchQuery(parsing: "print files in reverse \"exact words\" order", tokenizer: tokenizer)
        #expect(query.pairs == [["print", "file"], ["file", "revers"]])
        #expect(SearchQuery(parsing: "watchdog", tokenizer: tokenizer).pairs.isEmpty)
        #expect(SearchQuery(parsing: "keys keys", tokenizer: tokenizer).pairs.isEmpty)
    }
}

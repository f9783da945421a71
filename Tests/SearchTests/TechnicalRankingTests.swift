import Content
import Testing
@testable import Search

/// Issue #15's lexical changes, each measured by `scripts/bench retrieval` (known-item set).
@Suite("Ranking for technical text")
struct TechnicalRankingTests {
    @Test("Function words are terms but do not count in a chunk's body length")
    func functionWordsOutOfLength() throws {
        let tokenizer = try Tokenizer()
        var counter = ChunkAnalysis.Counter()
        let chunk = Chunk(pageID: "p", ordinal: 0, sectionIndex: nil, headingPath: [], anchor: "",
                          text: "The cat and the dog are in the garden", wordCount: 9)
        let analysis = ChunkAnalysis(chunk: chunk, title: .init([], tokenizer: tokenizer),
                                     headings: .init([], tokenizer: tokenizer), tokenizer: tokenizer, counter: &counter)
        #expect(analysis.bodyLength == 3)  // cat, dog, garden
        #expect(analysis.terms.count == 7)  // the, cat, and, dog, are, in, garden: still searchable
    }

    @Test("Names a line opens with in a code span are definitions; other code spans are not")
    func definitionNames() {
        let body = """
            `work_mem` (`integer`)
            Sets the base maximum amount of memory; see `maintenance_work_mem`.
            | `sign` ( `numeric` ) → `numeric` <br> Sign of the argument |
              `indented_name` (`text`)
            ```
            plain code
            ```
            An unclosed `span
            `
            """
        var names: [String] = []
        ChunkAnalysis.forEachDefinition(in: body[...]) { names.append(String($0)) }
        #expect(names == ["work_mem", "sign", "indented_name"])
    }

    @Test("The chunk that defines a name outranks one that only mentions it more often")
    func definitionsOutrankMentions() throws {
        let fixture = try IndexFixture()
        let filler = "The server reads this setting at start and applies it to every new session it opens."
        try fixture.add(TestPage(id: "mentions", title: "Tuning notes", sections: [
            ("Memory", "Raise work_mem for large sorts. " + filler + " Lower work_mem again when many sessions run."),
        ]))
        try fixture.add(TestPage(id: "defines", title: "Resource settings", sections: [
            ("Memory", "`work_mem` (`integer`)\nSets the base maximum amount of memory for a sort. " + filler),
        ]))
        #expect(try fixture.search("work_mem").map(\.pageID) == ["defines", "mentions"])
    }

    @Test("A page whose title is the query outranks a longer title holding the same words")
    func exactTitle() throws {
        let fixture = try IndexFixture()
        try fixture.add(TestPage(id: "materialized", title: "ALTER MATERIALIZED VIEW", sections: [
            ("Synopsis", "Changes the definition of a materialized view. The view keeps its data; alter the view's owner."),
        ]))
        try fixture.add(TestPage(id: "view", title: "ALTER VIEW", sections: [
            ("Synopsis", "Changes the auxiliary properties of a view, such as its name and schema."),
        ]))
        #expect(try fixture.search("ALTER VIEW").first?.pageID == "view")
        // The body alone would pick the other page: the bonus is what decides.
        let off = SearchOptions(ranking: RankingParameters(titleMatchBoost: 0))
        #expect(try fixture.search("ALTER VIEW", options: off).first?.pageID == "materialized")
    }
}

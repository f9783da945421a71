import Content
import Testing
@testable import Search
import RandomTestSupport

/// A batch analysed in parts, each by its own tokenizer, and joined is the batch prepared in
/// one piece: the same records, terms and postings, whatever ids each tokenizer handed out.
@Suite("Prepared pages joined from parts")
struct PreparedPartsTests {
    static func pages() -> [PageUpdate] {
        var generator = SeededGenerator(seed: 15)
        let words = ["replication", "slot", "vacuum", "work_mem", "Ünïcode", "東京", "the", "of", "kestrel", "index",
                     "`pg_dump`", "concurrently", "WAL", "checkpoint", "x86_64", "C++"]
        return (0..<40).map { number in
            let sections = (0..<Int.random(in: 1...4, using: &generator)).map { section in
                ("Heading \(section) \(words.randomElement(using: &generator)!)",
                 (0..<Int.random(in: 5...200, using: &generator)).map { _ in words.randomElement(using: &generator)! }
                    .joined(separator: " "))
            }
            return TestPage(id: "P\(number)", title: "Page \(number) \(words[number % words.count])", sections: sections).update
        }
    }

    static func same(_ joined: PreparedPages, _ whole: PreparedPages) {
        #expect(joined.postings.terms == whole.postings.terms)
        #expect(joined.postings.starts == whole.postings.starts)
        #expect(joined.postings.filled(firstChunkID: 1) == whole.postings.filled(firstChunkID: 1))
        #expect(joined.pages.map(\.page.pageID) == whole.pages.map(\.page.pageID))
        #expect(joined.pages.map { $0.chunks.map(\.pieces) } == whole.pages.map { $0.chunks.map(\.pieces) })
        #expect(joined.pages.map(\.text) == whole.pages.map(\.text))
        #expect(joined.chunkCount == whole.chunkCount)
    }

    @Test("Two and three parts join to the batch prepared in one piece", arguments: [1, 2, 3])
    func partsJoinToTheWhole(parts: Int) throws {
        let fixture = try IndexFixture()
        let updates = Self.pages()
        let whole = try fixture.index.prepare(updates, tokenizer: try Tokenizer())
        let size = (updates.count + parts - 1) / parts
        let analysed = try stride(from: 0, to: updates.count, by: size).map { start in
            // A fresh tokenizer per part: its ids differ from the others'.
            try fixture.index.analyse(Array(updates[start..<min(updates.count, start + size)]), tokenizer: try Tokenizer())
        }
        #expect(analysed.count == parts)
        let joined = try #require(PreparedPages.joining(analysed))
        Self.same(joined, whole)
    }

    @Test("A page in two parts cannot be joined (the last entry must win); within a part the last wins")
    func repeatedPageAcrossParts() throws {
        let fixture = try IndexFixture()
        let updates = Self.pages()
        let first = try fixture.index.analyse(Array(updates[0..<10]), tokenizer: try Tokenizer())
        let second = try fixture.index.analyse(Array(updates[5..<15]), tokenizer: try Tokenizer())
        #expect(PreparedPages.joining([first, second]) == nil)
        let repeated = try fixture.index.analyse(Array(updates[0..<10]) + [updates[3]], tokenizer: try Tokenizer())
        #expect(repeated.pages.map(\.page.pageID) == (0..<10).filter { $0 != 3 }.map { "P\($0)" } + ["P3"])
    }
}

import Content
import Storage
import Testing
@testable import Search

@Suite("Chunk records in pieces")
struct ChunkPiecesTests {
    /// A page of one chunk of about `words` words, ending with a word found nowhere else.
    static func longPage(id: String, words: Int) -> TestPage {
        let text = (0..<words).map { "word\($0 % 977)" }.joined(separator: " ") + " zanzibarite"
        return TestPage(id: id, title: "Long page \(id)", sections: [("Long", text)])
    }

    static func chunk(_ page: TestPage) -> Chunk {
        let text = page.sections[0].text
        return Chunk(pageID: page.id, ordinal: 0, sectionIndex: 0, headingPath: ["Long"], anchor: "Long", text: text,
                     wordCount: text.split(separator: " ").count)
    }

    @Test("Records are cut into near-equal pieces under the limit and joined back exactly")
    func splitAndJoin() throws {
        for size in [0, 1, 900, 1_000, 1_001, 2_500, 12_345] {
            let record = StoredChunk(
                pageID: "p", ordinal: 3, title: "Title", headingPath: ["A", "B"], anchor: "b", urlHint: "u",
                text: String(repeating: "x", count: size), titleLength: 1, headingLength: 2, bodyLength: size)
            var writer = ByteWriter()
            record.encode(to: &writer)
            let pieces = ChunkPieces.split(writer.bytes)
            let expected = max(1, (writer.bytes.count + ChunkPieces.maxPiece - 1) / ChunkPieces.maxPiece)
            #expect(pieces.count == expected, "record of \(writer.bytes.count) bytes")
            #expect(ChunkPieces.count(head: pieces[0]) == pieces.count)
            #expect(pieces.dropFirst().allSatisfy { $0.count <= ChunkPieces.maxPiece })
            #expect(pieces[0].count <= ChunkPieces.maxPiece + 1)
            #expect(try ChunkPieces.join(head: pieces[0], rest: Array(pieces.dropFirst())) == record)
        }
    }

    @Test("Long chunks are stored in pieces, read back whole and removed without a trace")
    func longChunksRoundTrip() throws {
        let fixture = try IndexFixture()
        try fixture.add(IndexTests.backup)
        let reference = try fixture.rawRecordCounts()
        let pages = [Self.longPage(id: "long-1", words: 700), Self.longPage(id: "long-2", words: 1_800)]
        try fixture.store.write { txn in
            for page in pages {
                try fixture.index.replacePage(page.indexed, chunks: [Self.chunk(page)], datastore: 1, in: txn,
                                              tokenizer: fixture.tokenizer)
            }
        }
        // 6 KB and 15 KB of text: about twenty pieces for the two chunks.
        let counts = try fixture.rawRecordCounts()
        #expect(counts[SearchTables.chunksName]! - reference[SearchTables.chunksName]! > 2 + 15)
        let found = try fixture.search("zanzibarite")
        #expect(Set(found.map(\.pageID)) == ["long-1", "long-2"])
        for result in found {
            let chunk = try fixture.store.read { try fixture.index.chunk(result.chunkID, datastore: 1, in: $0) }
            #expect(chunk?.text == pages.first { $0.id == result.pageID }?.sections[0].text)
        }
        #expect(try fixture.audit().problems == [])
        for page in pages { try fixture.remove(page.id) }
        #expect(try fixture.rawRecordCounts() == reference)
        #expect(try fixture.audit().problems == [])

        // Dropping a whole datastore takes the pieces too.
        try fixture.store.write { txn in
            for page in pages {
                try fixture.index.replacePage(page.indexed, chunks: [Self.chunk(page)], datastore: 2, in: txn,
                                              tokenizer: fixture.tokenizer)
            }
        }
        try fixture.store.write { txn in try fixture.index.removeDatastore(2, in: txn) }
        #expect(try fixture.rawRecordCounts() == reference)
    }

    @Test("A missing piece is reported by the audit and by reads")
    func missingPiece() throws {
        let fixture = try IndexFixture()
        let page = Self.longPage(id: "long", words: 700)
        try fixture.store.write { txn in
            try fixture.index.replacePage(page.indexed, chunks: [Self.chunk(page)], datastore: 1, in: txn,
                                          tokenizer: fixture.tokenizer)
        }
        let chunkID = try #require(try fixture.store.read { try fixture.index.chunkIDs(pageID: "long", datastore: 1, in: $0) }.first)
        let raw: Storage.Table<[UInt8], [UInt8]> = try fixture.store.openTable(SearchTables.chunksName)
        let pieceKey = withUnsafeBytes(of: (UInt64(1).bigEndian, chunkID.bigEndian)) { Array($0) } + [2]
        #expect(try fixture.store.write { txn in try txn.delete(raw, pieceKey) })

        let problems = try fixture.audit().problems
        #expect(problems.contains { $0.contains("chunk \(chunkID) has") && $0.contains("pieces") }, "\(problems)")
        #expect(throws: SearchError.self) {
            try fixture.store.read { try fixture.index.chunk(chunkID, datastore: 1, in: $0) }
        }
    }
}

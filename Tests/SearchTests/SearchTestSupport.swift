import Content
import Foundation
import Search
import Storage
import RandomTestSupport

/// A store in a fresh temporary directory with the index opened on it; removed on deinit.
final class IndexFixture {
    let directory: String
    let store: Store
    let index: SearchIndex
    let tokenizer: Tokenizer

    init() throws {
        directory = NSTemporaryDirectory() + "tributary-search-tests-\(UUID().uuidString)"
        store = try Store(configuration: StoreConfiguration(directory: directory, initialMapSize: 64 << 20))
        index = try SearchIndex(store: store)
        tokenizer = try Tokenizer()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Indexes a page from plain sections (heading, text) in its own transaction.
    func add(_ page: TestPage, datastore: UInt64 = 1) throws {
        try store.write { txn in
            try index.replacePage(page.indexed, chunks: page.chunks, datastore: datastore, in: txn, tokenizer: tokenizer)
        }
    }

    @discardableResult
    func remove(_ pageID: String, datastore: UInt64 = 1) throws -> Int {
        try store.write { txn in
            try index.removePage(pageID, datastore: datastore, in: txn)
        }
    }

    func search(_ query: String, datastore: UInt64 = 1, options: SearchOptions = SearchOptions()) throws -> [SearchResult] {
        try store.read { txn in
            try index.search(query, datastore: datastore, options: options, in: txn, tokenizer: tokenizer)
        }
    }

    func audit(datastore: UInt64 = 1) throws -> IndexAudit {
        try store.read { txn in try index.audit(datastore: datastore, in: txn) }
    }

    /// Raw record counts of every index table, over all datastores, read through handles of
    /// our own (not the index's code), so a leftover record cannot hide behind a bug in it.
    func rawRecordCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for name in SearchIndex.tableNames {
            let options: TableOptions = name.hasSuffix("postings") || name.hasSuffix("pages")
                ? [.duplicateSort, .duplicateFixed] : []
            let table: Storage.Table<[UInt8], [UInt8]> = try store.openTable(name, options: options)
            counts[name] = try store.read { txn in
                var count = 0
                try txn.forEachRaw(in: table) { _, _ in
                    count += 1
                    return .continue
                }
                return count
            }
        }
        return counts
    }
}

/// A page built from sections, chunked the way Content chunks real pages.
struct TestPage {
    var id: String
    var title: String
    var sections: [(heading: String, text: String)]

    var indexed: IndexedPage {
        IndexedPage(pageID: id, title: title, urlHint: "https://wiki.example/pages/\(id)")
    }

    var document: Document {
        Document(title: title, sections: sections.enumerated().map { index, section in
            Section(heading: section.heading, level: section.heading.isEmpty ? 0 : 2,
                    anchor: HeadingAnchor.anchor(for: section.heading),
                    headingPath: section.heading.isEmpty ? [] : [section.heading],
                    blocks: [.paragraph(section.text)])
        })
    }

    var chunks: [Chunk] {
        Chunker(options: ChunkingOptions(targetWords: 120, overlapWords: 10)).chunks(of: document, pageID: id)
    }

    /// The page with its whole text, as the engine indexes pages.
    var update: PageUpdate {
        PageUpdate(page: indexed, chunks: chunks, text: PageText(document: document))
    }
}

/// Pronounceable made-up words; none is an English stop word and each stems to itself or a
/// unique stem, so every generated section has distinctive vocabulary.
enum SyntheticWords {
    static func vocabulary(count: Int, using generator: inout SeededGenerator) -> [String] {
        let consonants = Array("bdfgklmnprstvz")
        let vowels = Array("aeiou")
        var words: Set<String> = []
        var ordered: [String] = []
        while ordered.count < count {
            var word = ""
            for _ in 0..<Int.random(in: 2...4, using: &generator) {
                word.append(consonants.randomElement(using: &generator)!)
                word.append(vowels.randomElement(using: &generator)!)
            }
            word.append(consonants.randomElement(using: &generator)!)
            if words.insert(word).inserted { ordered.append(word) }
        }
        return ordered
    }

    /// Zipf-like draw: low indices are common, as in real text.
    static func draw(_ vocabulary: [String], using generator: inout SeededGenerator) -> String {
        let u = Double.random(in: 0..<1, using: &generator)
        let index = Int(pow(Double(vocabulary.count), u)) - 1
        return vocabulary[min(max(index, 0), vocabulary.count - 1)]
    }
}

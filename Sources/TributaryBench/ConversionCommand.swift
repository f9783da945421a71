import Content
import Foundation
import Search
import Storage

/// `TributaryBench conversion PAGES_FILE [--pages N] [--rounds R]`: the sync's CPU work per page
/// as the engine does it (storage XHTML → document → rendered once → chunks and page text, then
/// tokenized for the index), on the sync bench's generated pages (`scripts/bench index-growth`
/// writes the file), single-threaded, with the thread's CPU seconds per stage. For profiling the
/// conversion, not a figure against a peer (`scripts/bench sync` is that).
///
/// It also prints a digest of everything the conversion produced (chunk texts, headings,
/// anchors, word counts, page Markdown and outline) and of what the bench queries find in the
/// index built from it (pages, chunks, scores, snippets), so a faster conversion or tokenizer
/// can be shown to produce the same output byte for byte.
enum ConversionCommand {
    struct Usage: Error, CustomStringConvertible {
        var description: String { "usage: TributaryBench conversion PAGES_FILE [--pages N] [--rounds R]" }
    }

    static func run(arguments: [String]) throws {
        var file = ""
        var limit = Int.max
        var rounds = 1
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--pages":
                guard let value = rest.popFirst().flatMap(Int.init) else { throw Usage() }
                limit = value
            case "--rounds":
                guard let value = rest.popFirst().flatMap(Int.init), value > 0 else { throw Usage() }
                rounds = value
            default:
                file = argument
            }
        }
        guard !file.isEmpty else { throw Usage() }
        var pages: [IndexGrowthBench.SourcePage] = []
        let reader = try IndexGrowthBench.PageReader(path: file)
        while pages.count < limit, let page = try reader.next() { pages.append(page) }

        let directory = Measure.temporaryDirectory("conversion")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(configuration: StoreConfiguration(directory: directory))
        let index = try SearchIndex(store: store)
        let chunker = Chunker()
        var digest = Digest()
        var best = Stages(convert: .infinity, render: .infinity, chunk: .infinity, pageText: .infinity, tokenize: .infinity)
        for round in 0..<rounds {
            var stages = Stages()
            let tokenizer = try Tokenizer()
            var updates: [PageUpdate] = []
            updates.reserveCapacity(250)
            for (number, page) in pages.enumerated() {
                let document = stages.time(\.convert) { StorageFormat.convert(utf8: page.body, title: page.title) }
                let rendered = stages.time(\.render) { RenderedDocument(document) }
                let chunks = stages.time(\.chunk) { chunker.chunks(of: rendered, pageID: page.id) }
                let text = stages.time(\.pageText) { PageText(rendered: rendered) }
                if round == 0 { digest.add(chunks: chunks, text: text) }
                updates.append(PageUpdate(page: IndexedPage(pageID: page.id, title: page.title), chunks: chunks, text: text))
                // Tokenized in the engine's commit groups, with one tokenizer per batch.
                if updates.count == 50 || number == pages.count - 1 {
                    let prepared = try stages.time(\.tokenize) { try index.prepare(updates, tokenizer: tokenizer) }
                    updates.removeAll(keepingCapacity: true)
                    // Indexed once (not timed), for the digest of what searches find.
                    if round == 0 {
                        try store.write(durability: .deferred) { try index.apply(prepared, datastore: 1, in: $0, tokenizer: tokenizer) }
                    }
                }
            }
            best = best.minimum(stages)
        }
        let bytes = pages.reduce(0) { $0 + $1.body.count }
        print(String(format: "conversion of %d pages (%.1f MB of storage XHTML), best of %d rounds, CPU seconds of one thread:",
                     pages.count, Double(bytes) / 1e6, rounds))
        print(String(format: "  parse+assemble %.3f  render %.3f  chunk %.3f  page text %.3f  | tokenize %.3f  | total %.3f (%.0f pages/s)",
                     best.convert, best.render, best.chunk, best.pageText, best.tokenize, best.total,
                     Double(pages.count) / best.total))
        // What the index makes of the tokenized chunks: every hit of the bench queries, in order.
        let tokenizer = try Tokenizer()
        try store.read { transaction in
            for query in IndexGrowthBench.queries {
                for hit in try index.search(query, datastore: 1, options: SearchOptions(limit: 50), in: transaction, tokenizer: tokenizer) {
                    digest.add(hit: hit)
                }
            }
        }
        print("  output digest \(digest.hex) (\(digest.chunks) chunks, \(digest.hits) hits of \(IndexGrowthBench.queries.count) queries)")
    }

    /// Thread CPU seconds by stage.
    struct Stages {
        var convert = 0.0
        var render = 0.0
        var chunk = 0.0
        var pageText = 0.0
        var tokenize = 0.0

        var total: Double { convert + render + chunk + pageText + tokenize }

        mutating func time<T>(_ stage: WritableKeyPath<Stages, Double>, _ body: () throws -> T) rethrows -> T {
            let start = Measure.threadCPUSeconds()
            let value = try body()
            self[keyPath: stage] += Measure.threadCPUSeconds() - start
            return value
        }

        func minimum(_ other: Stages) -> Stages {
            Stages(convert: min(convert, other.convert), render: min(render, other.render), chunk: min(chunk, other.chunk),
                   pageText: min(pageText, other.pageText), tokenize: min(tokenize, other.tokenize))
        }
    }

    /// FNV-1a over the conversion's output, fields separated so that moved bytes change it.
    struct Digest {
        private var state: UInt64 = 0xcbf2_9ce4_8422_2325
        private(set) var chunks = 0
        private(set) var hits = 0

        var hex: String { String(state, radix: 16) }

        mutating func add(chunks: [Chunk], text: PageText) {
            for chunk in chunks {
                self.chunks += 1
                add("\(chunk.pageID)|\(chunk.ordinal)|\(chunk.sectionIndex ?? -1)|\(chunk.anchor)|\(chunk.wordCount)")
                for heading in chunk.headingPath { add(heading) }
                add(chunk.text)
            }
            add(text.markdown)
            for heading in text.outline { add("\(heading.anchor)|\(heading.title)|\(heading.level)|\(heading.offset)|\(heading.length)") }
        }

        mutating func add(hit: SearchResult) {
            hits += 1
            add("\(hit.pageID)|\(hit.ordinal)|\(hit.score)|\(hit.snippet)")
        }

        private mutating func add(_ string: String) {
            for byte in string.utf8 {
                state = (state ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            state = (state ^ 0xff) &* 0x100_0000_01b3
        }
    }
}

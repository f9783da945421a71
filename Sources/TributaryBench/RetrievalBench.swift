import Content
import Foundation
import Search
import Storage

/// Tributary's side of `scripts/bench retrieval` (scripts/lib/bench_retrieval.py builds the
/// evaluation set, runs the peers and scores everyone).
///
/// `TributaryBench retrieval WORKDIR` reads `WORKDIR/pages.jsonl` (`{"id", "title", "body"}`,
/// the body in storage XHTML) and `WORKDIR/queries.jsonl` (`{"id", "q"}`). Pages go the
/// daemon's way: ``StorageFormat/convert(_:title:options:)``, the default ``Chunker``, then
/// ``SearchIndex/prepare(_:tokenizer:)`` and `apply` in batches. It writes the chunks it
/// indexed to `WORKDIR/chunks.jsonl` (so the peers index exactly the same passages), and
/// `WORKDIR/tributary.jsonl`: per query the ranked page ids (best chunk per page, 100 pages;
/// see ``ranking(top:deep:)``) and the seconds of each timed run of a top-10 search with
/// snippets as the daemon asks for it (two chunks per page at most), each in a read
/// transaction of its own.
///
/// `TRIBUTARY_RANKING="k1=1.2,b=0.75,title=3,…"` overrides ``RankingParameters`` for tuning.
enum RetrievalBench {
    static let datastore: UInt64 = 1
    static let batchPages = 250
    static let rounds = 3

    static func run(arguments: [String]) throws {
        guard arguments.count == 1 else { throw SearchBench.BenchError("usage: TributaryBench retrieval WORKDIR") }
        let work = arguments[0]
        let pages = try jsonLines(at: "\(work)/pages.jsonl")
        let queries = try jsonLines(at: "\(work)/queries.jsonl")

        let updates = try pageUpdates(pages, chunksFile: "\(work)/chunks.jsonl")

        let directory = Measure.temporaryDirectory("retrieval")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(configuration: StoreConfiguration(directory: directory))
        let index = try SearchIndex(store: store)
        let tokenizer = try Tokenizer()
        let buildSeconds = try build(updates, index: index, tokenizer: tokenizer)

        let ranking = try parameters(ProcessInfo.processInfo.environment["TRIBUTARY_RANKING"] ?? "")
        var ranked = SearchOptions(limit: 100, maxResultsPerPage: 1, ranking: ranking)
        ranked.snippetWords = 4
        var top = ranked
        top.limit = 10
        let served = SearchOptions(limit: 10, maxResultsPerPage: 2, ranking: ranking)
        var output = Data()
        var times: [[Double]] = Array(repeating: [], count: queries.count)
        var rankings: [[String]] = []
        for query in queries {
            guard let text = query["q"] as? String else { throw SearchBench.BenchError("queries.jsonl: a line lacks q") }
            let (first, deep) = try store.read { txn in
                (try index.search(text, datastore: datastore, options: top, in: txn, tokenizer: tokenizer),
                 try index.search(text, datastore: datastore, options: ranked, in: txn, tokenizer: tokenizer))
            }
            rankings.append(Self.ranking(top: first.map(\.pageID), deep: deep.map(\.pageID)))
        }
        for _ in 0..<rounds {
            for (number, query) in queries.enumerated() {
                let text = query["q"] as? String ?? ""
                let seconds = try Measure.seconds {
                    _ = try store.read { txn in
                        try index.search(text, datastore: datastore, options: served, in: txn, tokenizer: tokenizer)
                    }
                }
                times[number].append(seconds)
            }
        }
        for (number, query) in queries.enumerated() {
            let line: [String: Any] = ["id": query["id"] ?? number, "pages": rankings[number], "seconds": times[number]]
            output += try JSONSerialization.data(withJSONObject: line) + Data("\n".utf8)
        }
        try output.write(to: URL(fileURLWithPath: "\(work)/tributary.jsonl"))
        let chunkCount = updates.reduce(0) { $0 + $1.chunks.count }
        let summary: [String: Any] = [
            "pages": updates.count, "chunks": chunkCount, "build_seconds": buildSeconds,
            "index_bytes": store.info().usedBytes, "ranking": "\(ranking)",
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
    }

    /// The page ranking scored for a query: the 10 pages a 10-result search returns, then the
    /// rest of a 100-result search's pages. A search ranks a pool that grows with its limit
    /// (re-ranking, the hybrid legs), so the top 10 of a 100-result search is not what anyone
    /// asking for 10 results gets; the @10 metrics score what they get, Recall@100 the deep list.
    static func ranking(top: [String], deep: [String]) -> [String] {
        var seen = Set(top)
        return top + deep.filter { seen.insert($0).inserted }
    }

    /// Pages the daemon's way (BatchProcessor): conversion and chunking, with its title-only
    /// chunk; the chunks also go to `chunksFile` (so the peers index exactly the same passages).
    static func pageUpdates(_ pages: [[String: Any]], chunksFile: String) throws -> [PageUpdate] {
        let chunker = Chunker(options: ChunkingOptions())
        var updates: [PageUpdate] = []
        var chunkLines = Data()
        for page in pages {
            guard let id = page["id"] as? String, let title = page["title"] as? String, let body = page["body"] as? String
            else { throw SearchBench.BenchError("pages.jsonl: a line lacks id, title or body") }
            let document = StorageFormat.convert(body, title: title)
            var chunks = chunker.chunks(of: document, pageID: id)
            if chunks.isEmpty {
                chunks = [Chunk(pageID: id, ordinal: 0, sectionIndex: nil, headingPath: [], anchor: "", text: title,
                                wordCount: title.split(separator: " ").count)]
            }
            for chunk in chunks {
                let line: [String: Any] = ["page": id, "title": title, "headings": chunk.headingPath, "text": chunk.text]
                chunkLines += try JSONSerialization.data(withJSONObject: line) + Data("\n".utf8)
            }
            updates.append(PageUpdate(page: IndexedPage(pageID: id, title: title), chunks: chunks))
        }
        try chunkLines.write(to: URL(fileURLWithPath: chunksFile))
        return updates
    }

    /// Indexes `updates` in batches as the daemon does; returns the seconds it took.
    static func build(_ updates: [PageUpdate], index: SearchIndex, tokenizer: Tokenizer) throws -> Double {
        try Measure.seconds {
            for start in stride(from: 0, to: updates.count, by: batchPages) {
                let batch = Array(updates[start..<min(start + batchPages, updates.count)])
                let prepared = try index.prepare(batch, tokenizer: tokenizer)
                try index.store.write { txn in _ = try index.apply(prepared, datastore: datastore, in: txn) }
            }
        }
    }

    /// `key=value` pairs, comma-separated, over the defaults.
    static func parameters(_ text: String) throws -> RankingParameters {
        var ranking = RankingParameters()
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Double(parts[1]) else {
                throw SearchBench.BenchError("TRIBUTARY_RANKING: '\(pair)' is not key=number")
            }
            switch parts[0] {
            case "k1": ranking.k1 = value
            case "b": ranking.b = value
            case "title": ranking.titleWeight = value
            case "heading": ranking.headingWeight = value
            case "body": ranking.bodyWeight = value
            case "phrase": ranking.phraseBoost = value
            case "proximity": ranking.proximityBoost = value
            case "window": ranking.proximityWindow = Int(value)
            case "titlematch": ranking.titleMatchBoost = value
            default: throw SearchBench.BenchError("TRIBUTARY_RANKING: unknown parameter '\(parts[0])'")
            }
        }
        return ranking
    }

    static func jsonLines(at path: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try data.split(separator: UInt8(ascii: "\n")).map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw SearchBench.BenchError("\(path): a line is not a JSON object")
            }
            return object
        }
    }
}

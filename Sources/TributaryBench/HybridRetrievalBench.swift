import Embeddings
import Foundation
import Search
import Storage

/// Tributary's hybrid side of `scripts/bench retrieval`: `TributaryBench retrieval-hybrid
/// WORKDIR` with `TRIBUTARY_EMBEDDING_URL` and `TRIBUTARY_EMBEDDING_MODEL` set (the project's
/// `scripts/embedding_server`, or any OpenAI-compatible endpoint).
///
/// Pages are indexed as `retrieval` does (``RetrievalBench``); then every chunk is embedded
/// the way the daemon's embedding stage does it (``SearchIndex/pendingChunks(datastore:limit:in:)``
/// in batches, int8 vectors beside the chunks), and each query is embedded once and searched
/// with ``SearchIndex/hybridSearch(_:vector:datastore:options:in:tokenizer:filter:)``. Writes
/// `WORKDIR/tributary-hybrid.jsonl` like `tributary.jsonl` (the same ranking, see
/// ``RetrievalBench/ranking(top:deep:)``; `"seconds"`: the search alone,
/// `"embed_seconds"`: the query's embedding) and prints a JSON summary: chunks, index and vector
/// bytes, embedding seconds, and the exact k-NN scan's milliseconds per 100,000 chunks.
enum HybridRetrievalBench {
    static let batch = 32

    static func run(arguments: [String]) async throws {
        guard arguments.count == 1 else { throw SearchBench.BenchError("usage: TributaryBench retrieval-hybrid WORKDIR") }
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["TRIBUTARY_EMBEDDING_URL"], let model = environment["TRIBUTARY_EMBEDDING_MODEL"] else {
            throw SearchBench.BenchError("set TRIBUTARY_EMBEDDING_URL and TRIBUTARY_EMBEDDING_MODEL")
        }
        let embedder = EndpointEmbedder(baseURL: url, model: model, timeout: .seconds(600))
        let work = arguments[0]
        let datastore = RetrievalBench.datastore
        let pages = try RetrievalBench.jsonLines(at: "\(work)/pages.jsonl")
        let queries = try RetrievalBench.jsonLines(at: "\(work)/queries.jsonl")
        let updates = try RetrievalBench.pageUpdates(pages, chunksFile: "\(work)/chunks.jsonl")

        let directory = Measure.temporaryDirectory("retrieval-hybrid")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(configuration: StoreConfiguration(directory: directory))
        let index = try SearchIndex(store: store)
        let tokenizer = try Tokenizer()
        let buildSeconds = try RetrievalBench.build(updates, index: index, tokenizer: tokenizer)
        let indexBytes = store.info().usedBytes

        // Embedding, as the daemon's stage does it.
        try store.write { txn in _ = try index.useEmbeddingModel(model, datastore: datastore, in: txn) }
        let embedStart = Date()
        var tokens = 0
        while true {
            let pending = try store.read { txn in try index.pendingChunks(datastore: datastore, limit: batch, in: txn) }
            guard let last = pending.last else { break }
            let result = try await embedder.embed(pending.map { String($0.text.prefix(2_000)) })
            tokens += result.tokens ?? 0
            try store.write { txn in
                _ = try index.putVectors(zip(pending, result.vectors).map { ($0.chunkID, QuantizedVector($1)) }, through: last.chunkID,
                                         model: model, datastore: datastore, in: txn)
            }
        }
        let embedSeconds = Date().timeIntervalSince(embedStart)
        let state = try store.read { txn in try index.vectorState(datastore: datastore, in: txn) }
        guard let state, state.count > 0 else { throw SearchBench.BenchError("no chunk was embedded") }

        var ranked = SearchOptions(limit: 100, maxResultsPerPage: 1)
        ranked.snippetWords = 4
        var top = ranked
        top.limit = 10
        let served = SearchOptions(limit: 10, maxResultsPerPage: 2)
        var vectors: [QuantizedVector] = []
        var embedTimes: [Double] = []
        for query in queries {
            guard let text = query["q"] as? String else { throw SearchBench.BenchError("queries.jsonl: a line lacks q") }
            let start = Date()
            let result = try await embedder.embed([text])
            embedTimes.append(Date().timeIntervalSince(start))
            guard let values = result.vectors.first else { throw SearchBench.BenchError("no embedding for a query") }
            vectors.append(QuantizedVector(values))
        }
        var rankings: [[String]] = []
        for (query, vector) in zip(queries, vectors) {
            let text = query["q"] as? String ?? ""
            let (first, deep) = try store.read { txn in
                (try index.hybridSearch(text, vector: vector, datastore: datastore, options: top, in: txn, tokenizer: tokenizer),
                 try index.hybridSearch(text, vector: vector, datastore: datastore, options: ranked, in: txn, tokenizer: tokenizer))
            }
            rankings.append(RetrievalBench.ranking(top: first.map(\.pageID), deep: deep.map(\.pageID)))
        }
        var times: [[Double]] = Array(repeating: [], count: queries.count)
        var scanSeconds: [Double] = []
        for _ in 0..<RetrievalBench.rounds {
            for (number, query) in queries.enumerated() {
                let text = query["q"] as? String ?? ""
                times[number].append(try Measure.seconds {
                    _ = try store.read { txn in
                        try index.hybridSearch(text, vector: vectors[number], datastore: datastore, options: served, in: txn,
                                               tokenizer: tokenizer)
                    }
                })
                scanSeconds.append(try Measure.seconds {
                    _ = try store.read { txn in try index.nearestChunks(to: vectors[number], datastore: datastore, k: 40, in: txn) }
                })
            }
        }
        var output = Data()
        for (number, query) in queries.enumerated() {
            let line: [String: Any] = ["id": query["id"] ?? number, "pages": rankings[number], "seconds": times[number],
                                       "embed_seconds": embedTimes[number]]
            output += try JSONSerialization.data(withJSONObject: line) + Data("\n".utf8)
        }
        try output.write(to: URL(fileURLWithPath: "\(work)/tributary-hybrid.jsonl"))
        let scanMedian = scanSeconds.sorted()[scanSeconds.count / 2]
        let summary: [String: Any] = [
            "pages": updates.count, "chunks": state.count, "dimensions": state.dimensions, "model": model,
            "build_seconds": buildSeconds, "index_bytes": indexBytes, "vector_bytes": state.count * (4 + state.dimensions),
            "store_bytes": store.info().usedBytes, "embed_seconds": embedSeconds, "embedded_tokens": tokens,
            "query_embed_p50_seconds": embedTimes.sorted()[embedTimes.count / 2], "fusion": "weighted rrf k=\(ReciprocalRankFusion.Hybrid.k) lexical \(ReciprocalRankFusion.Hybrid.lexicalWeight) dense \(ReciprocalRankFusion.Hybrid.denseWeight)",
            "knn_ms_per_100k_chunks": scanMedian * 1_000 * 100_000 / Double(state.count),
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
    }
}

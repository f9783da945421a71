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

        // Embedding, as the daemon's stage does it: batches of pending chunks, each stored as it
        // comes. The vectors are kept in WORKDIR for the next run of the same chunks and model.
        try store.write { txn in _ = try index.useEmbeddingModel(model, datastore: datastore, in: txn) }
        let pending = try store.read { txn in try index.pendingChunks(datastore: datastore, limit: .max, in: txn) }
        let cache = VectorCache(path: "\(work)/tributary-vectors.cache", model: model, texts: pending.map(\.text))
        let cached = cache.load()
        let embedStart = Date()
        var embedded: [[Float]] = []
        var tokens = cached?.tokens ?? 0
        for start in stride(from: 0, to: pending.count, by: batch) {
            let slice = Array(pending[start..<min(start + batch, pending.count)])
            let vectors: [[Float]]
            if let cached {
                vectors = Array(cached.vectors[start..<start + slice.count])
            } else {
                let result = try await embedder.embed(slice.map { String($0.text.prefix(2_000)) })
                tokens += result.tokens ?? 0
                vectors = result.vectors
                embedded += vectors  // for the cache
            }
            try store.write { txn in
                _ = try index.putVectors(zip(slice, vectors).map { ($0.chunkID, QuantizedVector($1)) }, through: slice.last!.chunkID,
                                         model: model, datastore: datastore, in: txn)
            }
        }
        let embedSeconds: Double
        if let cached {
            embedSeconds = cached.seconds
        } else {
            embedSeconds = Date().timeIntervalSince(embedStart)
            try cache.save(vectors: embedded, seconds: embedSeconds, tokens: tokens)
        }
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
        if environment["TRIBUTARY_BENCH_LEGS"] != nil {
            try writeLegs(queries: queries, vectors: vectors, index: index, store: store, tokenizer: tokenizer, to: "\(work)/tributary-legs.jsonl")
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
            "store_bytes": store.info().usedBytes, "embed_seconds": embedSeconds, "vectors_from_cache": cached != nil, "embedded_tokens": tokens,
            "query_embed_p50_seconds": embedTimes.sorted()[embedTimes.count / 2], "fusion": "weighted rrf over pages k=\(ReciprocalRankFusion.Hybrid.k), lexical weight by function words 0: 0.7, 1: 0.5, more: 0.25",
            "knn_ms_per_100k_chunks": scanMedian * 1_000 * 100_000 / Double(state.count),
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
    }

    /// For tuning the fusion: each query's two legs as hybrid search ranks them for a top 10 of
    /// one chunk a page (``SearchIndex/hybridLegs(_:vector:datastore:options:in:tokenizer:filter:)``),
    /// as `{"id", "lexical": [[chunk, page], …], "dense": [[chunk, page], …]}` lines.
    static func writeLegs(
        queries: [[String: Any]], vectors: [QuantizedVector], index: SearchIndex, store: Store, tokenizer: Tokenizer, to path: String
    ) throws {
        var output = Data()
        for (query, vector) in zip(queries, vectors) {
            let text = query["q"] as? String ?? ""
            let legs = try store.read { txn in
                try index.hybridLegs(text, vector: vector, datastore: RetrievalBench.datastore,
                                     options: SearchOptions(limit: 10, maxResultsPerPage: 1), in: txn, tokenizer: tokenizer)
            }
            let line: [String: Any] = ["id": query["id"] ?? "",
                                       "lexical": legs?.lexical.map { [$0.chunkID, $0.pageID] as [Any] } ?? [],
                                       "dense": legs?.dense.map { [$0.chunkID, $0.pageID] as [Any] } ?? []]
            output += try JSONSerialization.data(withJSONObject: line) + Data("\n".utf8)
        }
        try output.write(to: URL(fileURLWithPath: path))
    }
}

/// Chunk vectors of one run of `retrieval-hybrid`, kept for the next run over the same chunk
/// texts and model (embedding the large corpus takes about half an hour here): a JSON header
/// line (key, count, dimensions, seconds, tokens), then float32 values in chunk order.
struct VectorCache {
    let path: String
    let key: String
    let count: Int

    init(path: String, model: String, texts: [String]) {
        self.path = path
        count = texts.count
        // FNV-1a over the model and the texts: a cache key, not a checksum against tampering.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for text in [model] + texts {
            for byte in text.utf8 + [0] {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
        key = "\(String(hash, radix: 16))-\(texts.count)"
    }

    func load() -> (vectors: [[Float]], seconds: Double, tokens: Int)? {
        guard let data = FileManager.default.contents(atPath: path), let newline = data.firstIndex(of: 10),
              let header = try? JSONSerialization.jsonObject(with: data[..<newline]) as? [String: Any],
              header["key"] as? String == key, header["count"] as? Int == count, let dimensions = header["dimensions"] as? Int,
              dimensions > 0, data.count - newline - 1 == count * dimensions * 4
        else { return nil }
        // The values start after the header line, at any alignment.
        let floats = data[(newline + 1)...].withUnsafeBytes { raw in
            (0..<raw.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        }
        let vectors = (0..<count).map { Array(floats[$0 * dimensions..<($0 + 1) * dimensions]) }
        return (vectors, header["seconds"] as? Double ?? 0, header["tokens"] as? Int ?? 0)
    }

    func save(vectors: [[Float]], seconds: Double, tokens: Int) throws {
        guard vectors.count == count else { throw SearchBench.BenchError("\(vectors.count) vectors for \(count) chunks") }
        let header: [String: Any] = ["key": key, "count": vectors.count, "dimensions": vectors.first?.count ?? 0,
                                     "seconds": seconds, "tokens": tokens]
        var data = try JSONSerialization.data(withJSONObject: header) + Data("\n".utf8)
        for vector in vectors {
            vector.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

import Content
import Storage
import Testing
@testable import Search
import RandomTestSupport

@Suite("Vectors beside the chunks: quantization, k-NN, fusion, removal")
struct VectorTests {
    /// A unit vector along `axis` of `dimensions`, with a little of `mix` so neighbours differ.
    static func axis(_ axis: Int, dimensions: Int = 16, mix: [(Int, Float)] = []) -> [Float] {
        var values = [Float](repeating: 0, count: dimensions)
        values[axis] = 1
        for (other, weight) in mix { values[other] += weight }
        return values
    }

    @Test("Quantization round trip: within half a step of the normalised values; self-similarity ≈ 1; stored bytes read back")
    func quantizationRoundTrip() throws {
        var generator = SeededGenerator(seed: 7)
        for dimensions in [1, 3, 384] {
            let values = (0..<dimensions).map { _ in Float.random(in: -3...3, using: &generator) }
            let vector = QuantizedVector(values)
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(vector.dimensions == dimensions)
            for (original, restored) in zip(values, vector.values) {
                #expect(abs(original / norm - restored) <= vector.scale / 2 + 1e-6)
            }
            let bytes = vector.storageBytes
            #expect(bytes.count == 4 + dimensions)
            let read = try #require(bytes.withUnsafeBytes { QuantizedVector(storageBytes: $0) })
            #expect(read == vector)
            let similarity = try #require(bytes.withUnsafeBytes { vector.similarity(stored: $0) })
            #expect(abs(similarity - 1) < 0.02)
            // Another dimension is not comparable.
            #expect(QuantizedVector([1, 2]).storageBytes.withUnsafeBytes { vector.similarity(stored: $0) } == nil || dimensions == 2)
        }
        #expect(QuantizedVector([0, 0, 0]) == QuantizedVector(scale: 0, codes: [0, 0, 0]))
        // The opposite direction is −1.
        let up = QuantizedVector([0, 1]), down = QuantizedVector([0, -1])
        #expect(down.storageBytes.withUnsafeBytes { up.similarity(stored: $0) }.map { abs($0 + 1) < 0.02 } == true)
    }

    @Test("Reciprocal rank fusion: 1/(60+rank) summed over lists; ties keep first appearance; duplicates count once")
    func fusion() {
        func own(_ lists: [[String]]) -> [[(id: String, group: String)]] { lists.map(Self.ownGroups) }
        let fused = ReciprocalRankFusion.fuse(grouped: own([["a", "b", "c"], ["c", "d", "a", "a"]]))
        #expect(fused.map(\.id) == ["a", "c", "b", "d"])
        #expect(abs(fused[0].score - (1.0 / 61 + 1.0 / 63)) < 1e-12)
        #expect(abs(fused[1].score - (1.0 / 63 + 1.0 / 61)) < 1e-12)
        #expect(abs(fused[2].score - 1.0 / 62) < 1e-12)
        #expect(abs(fused[3].score - 1.0 / 62) < 1e-12)
        #expect(ReciprocalRankFusion.fuse(grouped: own([])).isEmpty)
        #expect(ReciprocalRankFusion.fuse(grouped: own([["1", "2"]]), k: 1).map(\.score) == [0.5, 1.0 / 3])
        // Weighted: the heavier list's first item wins over the lighter list's.
        let weighted = ReciprocalRankFusion.fuse(grouped: own([["lex", "both"], ["dense", "both"]]), weights: [0.25, 0.75], k: 10)
        #expect(weighted.map(\.id) == ["both", "dense", "lex"])
        #expect(abs(weighted[0].score - (0.25 / 12 + 0.75 / 12)) < 1e-12)
        #expect(abs(weighted[1].score - 0.75 / 11) < 1e-12)
        #expect(abs(weighted[2].score - 0.25 / 11) < 1e-12)
    }

    @Test("Grouped fusion: a chunk one list lacks stands just behind its page's best there, so both legs' page outranks single-leg pages")
    func groupedFusion() {
        // Page P is found by the lexical leg through chunk p1 (2nd) and by the dense leg through
        // p2 (2nd); pages X and Y are each first in one leg only.
        let lexical: [(id: String, group: String)] = [("x", "X"), ("p1", "P"), ("p3", "P")]
        let dense: [(id: String, group: String)] = [("y", "Y"), ("p2", "P")]
        let fused = ReciprocalRankFusion.fuse(grouped: [lexical, dense], weights: [0.5, 0.5], k: 5)
        #expect(fused.map(\.id) == ["p1", "p2", "p3", "x", "y"])
        #expect(abs(fused[0].score - (0.5 / 7 + 0.5 / 8)) < 1e-12)   // p1: own lexical rank, just behind P's dense best
        #expect(abs(fused[1].score - (0.5 / 8 + 0.5 / 7)) < 1e-12)   // p2: the mirror
        #expect(abs(fused[2].score - (0.5 / 8 + 0.5 / 8)) < 1e-12)   // p3: 3rd lexically, just behind P's dense best
        #expect(abs(fused[3].score - 0.5 / 6) < 1e-12)               // x: one leg only
        // Fused by chunk alone, the single-leg firsts would win.
        let ungrouped = ReciprocalRankFusion.fuse(grouped: [Self.ownGroups(lexical.map(\.id)), Self.ownGroups(dense.map(\.id))],
                                                  weights: [0.5, 0.5], k: 5)
        #expect(ungrouped.first?.id == "x")
    }

    /// Items that are each their own group: plain RRF.
    static func ownGroups(_ ids: [String]) -> [(id: String, group: String)] {
        ids.map { (id: $0, group: $0) }
    }

    @Test("Hybrid weights follow the query's wording: names lean lexical, questions lean on meaning")
    func hybridWeights() throws {
        let tokenizer = try Tokenizer()
        func weight(_ text: String) -> Double {
            ReciprocalRankFusion.Hybrid.lexicalWeight(for: SearchQuery(parsing: text, tokenizer: tokenizer))
        }
        #expect(weight("wal_level") == 0.7)
        #expect(weight("log shipping") == 0.7)
        #expect(weight("copy files and directories") == 0.5)
        #expect(weight("How do I keep the standby in sync with the primary?") == 0.25)
        #expect(SearchQuery(parsing: "what is the the \"point of it\"", tokenizer: tokenizer).functionWords == 6)
        #expect(ReciprocalRankFusion.Hybrid.lexicalOnlyScore(rank: 0) == 1 / (ReciprocalRankFusion.Hybrid.k + 1))
    }

    /// Indexes pages, embeds every pending chunk with `vectorFor(text)`, and returns the ids.
    @discardableResult
    static func embedAll(_ fixture: IndexFixture, model: String = "m", datastore: UInt64 = 1,
                         _ vectorFor: (String) -> [Float]) throws -> [UInt64] {
        try fixture.store.write { txn in _ = try fixture.index.useEmbeddingModel(model, datastore: datastore, in: txn) }
        let pending = try fixture.store.read { txn in try fixture.index.pendingChunks(datastore: datastore, limit: 1_000, in: txn) }
        guard let last = pending.last else { return [] }
        try fixture.store.write { txn in
            try fixture.index.putVectors(pending.map { ($0.chunkID, QuantizedVector(vectorFor($0.text))) }, through: last.chunkID,
                                         model: model, datastore: datastore, in: txn)
        }
        return pending.map(\.chunkID)
    }

    static func state(_ fixture: IndexFixture, datastore: UInt64 = 1) throws -> VectorState? {
        try fixture.store.read { txn in try fixture.index.vectorState(datastore: datastore, in: txn) }
    }

    static let pages = [
        TestPage(id: "1", title: "Cars", sections: [("", "The car park opens at seven.")]),
        TestPage(id: "2", title: "Bicycles", sections: [("", "Bicycle racks are by the north door.")]),
        TestPage(id: "3", title: "Trains", sections: [("", "The station is ten minutes away on foot.")]),
    ]

    /// A toy model: each page's topic is its own axis; "automobile" means the car axis.
    static func topic(_ text: String) -> [Float] {
        let lowered = text.lowercased()
        if lowered.contains("car") || lowered.contains("automobile") { return axis(0, mix: [(5, 0.1)]) }
        if lowered.contains("bicycle") { return axis(1, mix: [(0, 0.3)]) }
        return axis(2)
    }

    @Test("k-NN returns chunks by similarity; pending chunks start at the watermark; a new page is pending alone")
    func nearestAndPending() throws {
        let fixture = try IndexFixture()
        for page in Self.pages { try fixture.add(page) }
        let ids = try Self.embedAll(fixture, Self.topic)
        #expect(ids.count == 3)
        let state = try #require(try Self.state(fixture))
        #expect(state.count == 3 && state.dimensions == 16 && state.model == "m" && state.watermark == ids.last! + 1)
        #expect(try fixture.store.read { txn in try fixture.index.pendingChunks(datastore: 1, limit: 10, in: txn) }.isEmpty)

        let query = QuantizedVector(Self.axis(0, mix: [(1, 0.2)]))
        let nearest = try fixture.store.read { txn in try fixture.index.nearestChunks(to: query, datastore: 1, k: 3, in: txn) }
        let pagesInOrder = try fixture.store.read { txn in
            try nearest.map { try fixture.index.pageID(ofChunk: $0.chunkID, datastore: 1, in: txn) }
        }
        #expect(pagesInOrder == ["1", "2", "3"])
        #expect(nearest.map(\.similarity) == nearest.map(\.similarity).sorted(by: >))
        #expect(try fixture.store.read { txn in try fixture.index.nearestChunks(to: query, datastore: 1, k: 1, in: txn) }.count == 1)
        // Another datastore's vectors are not seen.
        #expect(try fixture.store.read { txn in try fixture.index.nearestChunks(to: query, datastore: 2, k: 3, in: txn) }.isEmpty)

        try fixture.add(TestPage(id: "4", title: "Ferries", sections: [("", "Boats leave every hour.")]))
        let pending = try fixture.store.read { txn in try fixture.index.pendingChunks(datastore: 1, limit: 10, in: txn) }
        #expect(pending.count == 1)
        #expect(pending.first?.text.hasPrefix("Ferries\n\n") == true)
    }

    @Test("Replaced and removed pages lose their vectors in the same transaction; a datastore's removal drops its state")
    func removal() throws {
        let fixture = try IndexFixture()
        for page in Self.pages { try fixture.add(page) }
        try Self.embedAll(fixture, Self.topic)
        try fixture.add(TestPage(id: "2", title: "Bicycles", sections: [("", "Bicycle racks moved to the south door.")]))
        #expect(try Self.state(fixture)?.count == 2)
        #expect(try fixture.rawRecordCounts()["search.vectors"] == 2)
        try fixture.remove("1")
        #expect(try Self.state(fixture)?.count == 1)
        #expect(try fixture.rawRecordCounts()["search.vectors"] == 1)
        // The replaced page's new chunk is pending (above the watermark).
        #expect(try fixture.store.read { txn in try fixture.index.pendingChunks(datastore: 1, limit: 10, in: txn) }.count == 1)
        try fixture.store.write { txn in try fixture.index.removeDatastore(1, in: txn) }
        #expect(try Self.state(fixture) == nil)
        #expect(try fixture.rawRecordCounts()["search.vectors"] == 0)
    }

    @Test("A change of model drops the vectors and starts over; a batch of the old model stores nothing; gone chunks get no vector")
    func modelChange() throws {
        let fixture = try IndexFixture()
        for page in Self.pages { try fixture.add(page) }
        let ids = try Self.embedAll(fixture, Self.topic)
        try fixture.store.write { txn in _ = try fixture.index.useEmbeddingModel("other", datastore: 1, in: txn) }
        #expect(try Self.state(fixture) == VectorState(model: "other"))
        #expect(try fixture.rawRecordCounts()["search.vectors"] == 0)
        let stored = try fixture.store.write { txn in
            try fixture.index.putVectors([(ids[0], QuantizedVector(Self.topic("car")))], through: ids[0], model: "m", datastore: 1, in: txn)
        }
        #expect(stored == 0)
        // A chunk removed between reading and writing gets no vector.
        try fixture.remove("1")
        let written = try fixture.store.write { txn in
            try fixture.index.putVectors(ids.map { ($0, QuantizedVector(Self.topic("x"))) }, through: ids.last!, model: "other",
                                         datastore: 1, in: txn)
        }
        #expect(written == 2)
        #expect(try Self.state(fixture)?.count == 2)
    }

    @Test("Hybrid search: a chunk only the vectors find joins the results; without vectors it is the lexical search")
    func hybrid() throws {
        let fixture = try IndexFixture()
        for page in Self.pages { try fixture.add(page) }
        let query = "automobile garage"
        let vector = QuantizedVector(Self.topic(query))
        let lexicalOnly = try fixture.store.read { txn in
            try fixture.index.hybridSearch(query, vector: vector, datastore: 1, in: txn, tokenizer: fixture.tokenizer)
        }
        #expect(lexicalOnly == (try fixture.search(query)))
        #expect(!lexicalOnly.contains { $0.pageID == "1" })
        try Self.embedAll(fixture, Self.topic)
        var options = SearchOptions(limit: 2)
        options.maxResultsPerPage = 1
        let results = try fixture.store.read { txn in
            try fixture.index.hybridSearch(query, vector: vector, datastore: 1, options: options, in: txn, tokenizer: fixture.tokenizer)
        }
        #expect(results.first?.pageID == "1")
        #expect(results.count == 2)
        #expect(results.first?.snippet.isEmpty == false)
        #expect(results.map(\.score) == results.map(\.score).sorted(by: >))
        // The filter applies to the dense leg too.
        let filtered = try fixture.store.read { txn in
            try fixture.index.hybridSearch(query, vector: vector, datastore: 1, options: options, in: txn, tokenizer: fixture.tokenizer,
                                           filter: { $0 != "1" })
        }
        #expect(!filtered.contains { $0.pageID == "1" })
    }
}

import Embeddings
import EngineTestSupport
import Foundation
import Search
import Storage
import Testing
@testable import Engine

/// The embedding stage behind the lexical index, and hybrid search through the engine: a
/// deterministic embedder, Confluence in memory, time by hand.
@Suite("Embeddings in the engine")
struct EmbeddingStageTests {
    static let synonyms = ["automobile": "car", "vehicle": "car", "cycling": "bicycle"]

    static func options(_ embedder: WordHashEmbedder, batch: Int = 4) -> EngineOptions {
        var options = InProcessHarness.options()
        options.embedder = embedder
        options.embeddingBatchSize = batch
        return options
    }

    static func addPages(_ confluence: InMemoryConfluence) {
        confluence.putPage(space: "DOC", id: "C", title: "Parking", body: "<p>The car park behind the office opens at seven.</p>")
        confluence.putPage(space: "DOC", id: "B", title: "Racks", body: "<p>Bicycle racks are by the north door.</p>")
        confluence.addPages(space: "DOC", count: 10, prefix: "F")
    }

    func embedded(_ harness: InProcessHarness, _ name: String) async throws -> DatastoreSnapshot {
        try await harness.until(name, "every chunk embedded") { ($0.embeddings?.pending ?? 1) == 0 && ($0.embeddings?.embedded ?? 0) > 0 }
    }

    @Test("Ready before vectors; vectors fill in after with status counts and embedding ledger entries; search turns hybrid")
    func fillsAfterReady() async throws {
        let embedder = WordHashEmbedder(synonyms: Self.synonyms)
        embedder.fail(with: .unreachable(host: "127.0.0.1", detail: "connection refused"))
        try await InProcessHarness.with(options: Self.options(embedder)) { harness in
            Self.addPages(harness.confluence)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let ready = try await harness.ready("docs")
            #expect(ready.searchable)
            let waiting = try await harness.until("docs", "a reason") { $0.embeddings?.reason != nil }
            #expect(waiting.record.state == .ready)
            #expect(waiting.embeddings?.embedded == 0)
            #expect((waiting.embeddings?.pending ?? 0) >= 12)
            #expect(waiting.embeddings?.reason?.contains("unreachable") == true)
            #expect(waiting.embeddings?.model == "word-hash")
            // Searchable meanwhile, lexically.
            #expect(try await harness.engine.search(datastores: ["docs"], query: "bicycle", limit: 3, lexical: false).first?.result.pageID == "B")

            embedder.fail(with: nil)
            harness.clock.advance(byMillis: 8_000)
            let done = try await embedded(harness, "docs")
            #expect(done.embeddings?.reason == nil)
            #expect(done.embeddings?.dimensions == 64)
            #expect(done.record.state == .ready)
            let chunks = try harness.temporary.store.read { txn in
                try harness.engine.parts.index.statistics(datastore: done.record.id, in: txn).chunkCount
            }
            #expect(done.embeddings?.embedded == chunks)

            let entries = try harness.temporary.store.read { txn in try harness.engine.parts.ledger.allEntries(txn) }
            let embedding = entries.filter { $0.kind == .embedding }
            #expect(embedding.count == (chunks + 3) / 4)
            #expect(embedding.allSatisfy { $0.datastore == done.record.id && ($0.tokens ?? 0) > 0 })

            // "automobile" is not in any page: lexical finds nothing, hybrid finds the car park.
            #expect(try await harness.engine.search(datastores: ["docs"], query: "automobile", limit: 3, lexical: true).isEmpty)
            let calls = embedder.calls
            let hybrid = try await harness.engine.search(datastores: ["docs"], query: "automobile", limit: 3, lexical: false)
            #expect(hybrid.first?.result.pageID == "C")
            // A repeated query is embedded once.
            _ = try await harness.engine.search(datastores: ["docs"], query: "automobile", limit: 3, lexical: false)
            #expect(embedder.calls == calls + 1)

            // A stuck endpoint holds a search only until the query-embedding deadline: then it is lexical.
            embedder.hang(true)
            let engine = harness.engine
            let stuck = Task { try await engine.search(datastores: ["docs"], query: "bicycle racks", limit: 3, lexical: false) }
            #expect(try await waitFor { embedder.calls > calls + 1 })
            harness.clock.advance(byMillis: harness.options.queryEmbeddingTimeoutMillis)
            let fallback = try await stuck.value
            #expect(fallback.first?.result.pageID == "B")
            #expect(fallback == (try harness.engine.search(datastores: ["docs"], query: "bicycle racks", limit: 3)))
            embedder.hang(false)
        }
    }

    @Test("A changed or deleted page loses its vectors in the index commit; its new chunks are embedded again")
    func changesAndDeletions() async throws {
        let embedder = WordHashEmbedder(synonyms: Self.synonyms)
        try await InProcessHarness.with(options: Self.options(embedder)) { harness in
            Self.addPages(harness.confluence)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let first = try await embedded(harness, "docs")
            let before = try #require(first.embeddings?.embedded)

            harness.confluence.deletePage(space: "DOC", id: "B")
            harness.confluence.putPage(space: "DOC", id: "C", title: "Parking", body: "<p>The vehicle park moved to the south gate.</p>")
            let cycle = first.record.cycle
            _ = try await harness.engine.resync(name: "docs")
            _ = try await harness.until("docs", "the next cycle") { $0.record.cycle > cycle && $0.record.state == .ready }
            let after = try await embedded(harness, "docs")
            #expect(after.embeddings?.embedded == before - 1)
            let id = after.record.id
            let (state, vectors) = try harness.temporary.store.read { txn in
                let state = try harness.engine.parts.index.vectorState(datastore: id, in: txn)
                let chunks = try harness.engine.parts.index.chunkIDs(pageID: "B", datastore: id, in: txn)
                return (state, chunks)
            }
            #expect(vectors.isEmpty)
            #expect(state?.count == before - 1)
            let hits = try await harness.engine.search(datastores: ["docs"], query: "automobile", limit: 1, lexical: false)
            #expect(hits.first?.result.text.contains("south gate") == true)
        }
    }

    @Test("A change of model re-embeds every chunk; embeddings off drop the vectors and the status")
    func modelChangeAndOff() async throws {
        let first = WordHashEmbedder(model: "one")
        let harness = try InProcessHarness(options: Self.options(first))
        try await runStarted(harness.engine) {
            Self.addPages(harness.confluence)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            _ = try await embedded(harness, "docs")
        }
        let second = WordHashEmbedder(model: "two", dimensions: 32)
        let again = try InProcessHarness(options: Self.options(second), confluence: harness.confluence, temporary: harness.temporary,
                                         clock: harness.clock)
        try await runStarted(again.engine) {
            let done = try await embedded(again, "docs")
            #expect(done.embeddings?.model == "two")
            #expect(done.embeddings?.dimensions == 32)
            #expect(second.textsEmbedded == done.embeddings?.embedded)
            let state = try again.temporary.store.read { txn in
                try again.engine.parts.index.vectorState(datastore: done.record.id, in: txn)
            }
            #expect(state?.model == "two" && state?.count == done.embeddings?.embedded)

            _ = try await again.engine.update(name: "docs", secret: nil) { $0.content.embeddings = false }
            let off = try await again.until("docs", "no embeddings") { $0.embeddings == nil }
            #expect(off.embeddings == nil)
            let dropped = try await waitFor {
                try again.temporary.store.read { txn in try again.engine.parts.index.vectorState(datastore: off.record.id, in: txn) } == nil
            }
            #expect(dropped)
        }
    }

    @Test("Credits: a balance that cannot pay makes embedding wait with a reason; the datastore stays ready and nothing is written")
    func credits() async throws {
        let embedder = WordHashEmbedder()
        embedder.fail(with: .timeout(seconds: 60))
        try await InProcessHarness.with(options: Self.options(embedder)) { harness in
            Self.addPages(harness.confluence)
            _ = try await harness.engine.addCredits(millicredits: 1_000_000, note: "test")
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            _ = try await harness.ready("docs")
            // Indexing was paid; at this price no batch of embeddings is.
            _ = try await harness.engine.setCreditPolicy { $0.millicreditsPerThousandTokens = 100_000_000 }
            let balance = try harness.engine.credits(recent: 1).balance
            embedder.fail(with: nil)
            harness.clock.advance(byMillis: 8_000)
            let waiting = try await harness.until("docs", "waiting for credits") { $0.embeddings?.reason?.contains("credits") == true }
            #expect(waiting.record.state == .ready)
            #expect(waiting.embeddings?.embedded == 0)
            #expect(try harness.engine.credits(recent: 1).balance == balance)
            _ = try await harness.engine.setCreditPolicy { $0.millicreditsPerThousandTokens = 1_000 }
            harness.clock.advance(byMillis: 300_000)
            let done = try await embedded(harness, "docs")
            #expect(done.embeddings?.reason == nil)
            #expect(try harness.engine.credits(recent: 1).balance < balance)
        }
    }

    @Test("The query cache keeps the most recently used entries up to its capacity")
    func queryCache() {
        let cache = QueryEmbeddingCache(capacity: 2)
        let a = QuantizedVector([1, 0]), b = QuantizedVector([0, 1]), c = QuantizedVector([1, 1])
        cache.insert(a, model: "m", query: "a")
        cache.insert(b, model: "m", query: "b")
        #expect(cache.vector(model: "m", query: "a") == a)  // a is now the most recent
        cache.insert(c, model: "m", query: "c")  // drops b
        #expect(cache.vector(model: "m", query: "b") == nil)
        #expect(cache.vector(model: "m", query: "a") == a)
        #expect(cache.vector(model: "m", query: "c") == c)
        #expect(cache.vector(model: "other", query: "a") == nil)
        #expect(cache.count == 2)
    }
}

/// Polls `condition` for at most two seconds of real time: for work on other threads that
/// notifies no watcher (the embedding stage dropping vectors, a search reaching the embedder).
private func waitFor(_ condition: () throws -> Bool) async throws -> Bool {
    for _ in 0..<200 {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return false
}

import ConcurrencyTestSupport
import Confluence
import EngineTestSupport
import Foundation
import Search
import Storage
import Testing
@testable import Engine

/// A listing batch's conversion and tokenizing, split over the cores, give what converting and
/// tokenizing it page by page give.
@Suite("Page conversion")
struct PageConversionTests {
    static let site = ConfluenceSite(flavor: .cloud, host: "example.atlassian.net", contextPath: "/wiki")

    @Test("Converted and tokenized in parts, a batch keeps its pages' order, each page's outcome and what search finds")
    func parallelEqualsSequential() async throws {
        let temporary = try TemporaryEngineStore()
        var options = EngineOptions()
        options.maxBodyBytes = 2_000
        let conversion = PageConversion(options: options, index: try SearchIndex(store: temporary.store))
        let pages = (0..<101).map { number -> Page in
            let body: String?
            switch number % 17 {
            case 3: body = nil  // no body: failed
            case 5: body = "<p>" + String(repeating: "too large ", count: 300) + "</p>"  // skipped
            case 7: body = ""  // findable by its title alone
            default:
                body = "<h1>Part \(number)</h1><p>Paragraph \(number) about kestrels and <code>fn_\(number)()</code>.</p>"
                    + "<table><tr><th>key</th></tr><tr><td>value \(number)</td></tr></table>"
            }
            return Page(id: "P\(number)", title: "Page \(number)", version: number + 1, webui: "/spaces/DOC/pages/P\(number)",
                        storageBody: body)
        }
        let sequential = conversion.convert(ids: pages.map(\.id), fetched: pages, site: Self.site)
        let sequentialBatch = try conversion.prepare(results: sequential.results, updates: sequential.updates,
                                                     tokenizer: try Tokenizer())
        let parallel = try await conversion.convertAndPrepareInParallel(pages, site: Self.site, parts: 3).batch
        #expect(pages.count / PageConversion.minimumPagesPerPart >= 3, "the batch is converted in 3 parts")
        #expect(parallel.results.map(\.pageId) == pages.map(\.id))
        #expect(parallel.results.map(\.pageId) == sequential.results.map(\.pageId))
        #expect(parallel.results.map(\.disposition) == sequential.results.map(\.disposition))
        #expect(parallel.results.map(\.chunks) == sequential.results.map(\.chunks))
        #expect(parallel.results.map(\.tokens) == sequential.results.map(\.tokens))
        #expect(parallel.pages.pageCount == sequentialBatch.pages.pageCount)
        #expect(parallel.pages.chunkCount == sequentialBatch.pages.chunkCount)
        // Indexed from the parts, the pages are found as when indexed in one piece: same hits, same scores.
        var found: [[SearchResult]] = []
        for batch in [sequentialBatch, parallel] {
            let store = try TemporaryEngineStore()
            let index = try SearchIndex(store: store.store)
            try store.store.write { try index.apply(batch.pages, datastore: 1, in: $0, tokenizer: try Tokenizer()) }
            found.append(try index.search("kestrels fn_42 value table", datastore: 1, options: SearchOptions(limit: 200)))
        }
        #expect(found[0].count > 50 && found[0].first?.pageID == "P42")
        #expect(found[1] == found[0])
        #expect(Set(sequential.results.map(\.disposition)) == [.indexed, .failed, .skipped])
    }
}

/// The single pass commits its listing batches in groups (one transaction per
/// ``EngineOptions/listingBatchesPerTransaction`` batches): a group is indexed batch by batch,
/// and credits that run out part-way through a group stop exactly at the batch they cannot pay.
@Suite("Grouped listing commits")
struct GroupedListingCommitTests {
    static let body = "<h2>Rotation</h2><p>Rotate the replication credentials before the weekly maintenance window.</p>"

    @Test("Credits for two and a half batches index exactly two, in listing order; a top-up indexes the rest, each page charged once",
          arguments: [1, 2, 3])
    func creditsRunOutInsideAGroup(batchesPerTransaction: Int) async throws {
        var options = InProcessHarness.options()
        options.listingBatchesPerTransaction = batchesPerTransaction
        let harness = try InProcessHarness(options: options, confluence: InMemoryConfluence(batchSize: 10))
        let ids = (0..<45).map { String(format: "P%02d", $0) }
        for id in ids { harness.confluence.putPage(space: "DOC", id: id, title: "Runbook", body: Self.body) }
        // Every page costs the same: its tokens, as the conversion counts them, at the policy's price.
        let site = ConfluenceSite(flavor: .cloud, host: "example.atlassian.net", contextPath: "/wiki")
        let probe = PageConversion(options: options, index: try SearchIndex(store: harness.temporary.store))
            .convert(ids: ["P00"], fetched: [Page(id: "P00", title: "Runbook", storageBody: Self.body)], site: site)
        let pageCost = CreditPolicy().cost(tokens: try #require(probe.results.first).tokens)
        #expect(pageCost > 0)
        try await runStarted(harness.engine) {
            _ = try await harness.engine.addCredits(millicredits: pageCost * 25, note: "two and a half batches")
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let paused = try await harness.until("docs", "a credit pause") { snapshot in
                if case .paused(.insufficientCredits) = snapshot.record.state { return true }
                return false
            }
            #expect(paused.indexed == 20 && paused.pending == 25, "indexed \(paused.indexed), pending \(paused.pending)")
            let indexed = try harness.manifest("docs").values.filter { $0.disposition == .indexed }.map(\.pageId).sorted()
            #expect(indexed == Array(ids.prefix(20)))
            _ = try await harness.engine.addCredits(millicredits: pageCost * 100, note: "top-up")
            let ready = try await harness.ready("docs")
            #expect(ready.indexed == 45 && ready.pending == 0)
            let charges = try harness.temporary.store.read { try harness.engine.parts.ledger.allEntries($0) }.filter { $0.kind == .charge }
            #expect(charges.count == 45 && Set(charges.compactMap(\.pageId)) == Set(ids))
        }
    }
}

/// The single pass keeps ``EngineOptions/listingRequestsAhead`` listing requests in flight,
/// one after the other: however many, the listing asks for each batch once, stops asking at
/// its end, and a request that fails is retried like any other.
@Suite("Listing requests ahead")
struct ListingRequestsAheadTests {
    /// Listing requests made, and pages indexed, by a first sync of 45 pages in batches of 10
    /// whose first listing request fails.
    static func firstSync(ahead: Int) async throws -> (requests: Int, indexed: Int) {
        var options = InProcessHarness.options()
        options.listingRequestsAhead = ahead
        let harness = try InProcessHarness(options: options, confluence: InMemoryConfluence(batchSize: 10))
        let ids = (0..<45).map { String(format: "P%02d", $0) }
        for id in ids { harness.confluence.putPage(space: "DOC", id: id, title: "Runbook \(id)", body: GroupedListingCommitTests.body) }
        harness.confluence.fail(.list, with: .transient)
        var outcome = (requests: 0, indexed: 0)
        try await runStarted(harness.engine) {
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            _ = try await harness.until("docs", "a retry") { $0.record.lastError?.contains("503") == true }
            harness.clock.advance(byMillis: 1_000)
            let ready = try await harness.ready("docs")
            #expect(ready.pending == 0 && ready.failed == 0)
            let charges = try harness.temporary.store.read { try harness.engine.parts.ledger.allEntries($0) }.filter { $0.kind == .charge }
            #expect(charges.count == 45 && Set(charges.compactMap(\.pageId)) == Set(ids), "each page charged once")
            outcome = (harness.confluence.requests(.list), ready.indexed)
        }
        return outcome
    }

    @Test("Every page indexed and charged once, with the same listing requests, 1 to 3 requests ahead")
    func requestsAhead() async throws {
        let oneAtATime = try await Self.firstSync(ahead: 1)
        #expect(oneAtATime.indexed == 45)
        // At least the failed request, five batches and the request that found the end.
        #expect(oneAtATime.requests >= 7)
        for ahead in [2, 3] {
            let outcome = try await Self.firstSync(ahead: ahead)
            #expect(outcome.indexed == 45 && outcome.requests == oneAtATime.requests, "\(ahead) ahead: \(outcome)")
        }
    }

    @Test("A listing's conversions, their parallel parts included, run below the priority of the job that commits them")
    func conversionsYieldToTheWriter() async {
        let job = await Task(executorPreference: SyncWorkExecutor.shared) { currentThreadNice() }.value
        let parts = await Task(executorPreference: SyncWorkExecutor.conversions) {
            await withTaskGroup(of: Int32.self) { group in
                for _ in 0..<2 { group.addTask { currentThreadNice() } }
                return await group.reduce(into: [Int32]()) { $0.append($1) }
            }
        }.value
        let process = currentThreadNice()
        #expect(job > process || process >= 10, "the job itself runs below the searches' priority")
        #expect(parts.count == 2)
        // A process started at nice 15 or more leaves both pools at its own priority.
        #expect(parts.allSatisfy { $0 > job } || process >= 15, "parts at \(parts), the job at \(job)")
    }

    @Test("A batch is split over the cores the stages converting side by side leave, never into fewer than one part")
    func partsPerBatch() {
        #expect(PageConversion.parts(stagesAhead: 2, cores: 2) == 1)
        #expect(PageConversion.parts(stagesAhead: 2, cores: 8) == 4)
        #expect(PageConversion.parts(stagesAhead: 3, cores: 8) == 2)
        #expect(PageConversion.parts(stagesAhead: 1, cores: 2) == 2)
        #expect(PageConversion.parts(stagesAhead: 4, cores: 2) == 1)
        #expect(PageConversion.parts(stagesAhead: 0, cores: 1) == 1)
    }
}

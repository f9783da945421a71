import Confluence
import EngineTestSupport
import Foundation
import Search
import Storage
import Testing
@testable import Engine

/// The engine's lifecycle, credits, resume, deletions, failures, schedule and restart, driven
/// in process: Confluence in memory, time by hand. No network, no sleeps.
@Suite("Engine in process")
struct InProcessEngineTests {
    @Test("A space syncs to ready; a page deleted in Confluence leaves the index at the next cycle")
    func syncAndDeletion() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.addPages(space: "DOC", count: 30)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let ready = try await harness.ready("docs")
            #expect(ready.indexed == 30 && ready.pending == 0 && ready.failed == 0)
            #expect(ready.searchable)

            harness.confluence.deletePage(space: "DOC", id: "P7")
            harness.confluence.putPage(space: "DOC", id: "P8", title: "Page P8", body: "<p>edited zebra</p>")
            let cycle = ready.record.cycle
            _ = try await harness.engine.resync(name: "docs")
            let again = try await harness.until("docs", "the next cycle ready") { $0.record.cycle > cycle && $0.record.state == .ready }
            #expect(again.indexed == 29)
            let manifest = try harness.manifest("docs")
            #expect(manifest["P7"]?.disposition == .deleted)
            #expect(manifest["P8"]?.versionIndexed == 2)
            #expect(try harness.engine.search(name: "docs", query: "zebra", limit: 5).first?.result.pageID == "P8")
        }
    }

    @Test("The next sync runs when the clock passes the interval, and not before")
    func schedule() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.addPages(space: "DOC", count: 5)
            _ = try await harness.engine.create(harness.configuration("docs") { $0.resyncIntervalSeconds = 600 }, secret: nil)
            let ready = try await harness.ready("docs")
            #expect(ready.record.nextSync == harness.clock.nowMillis + 600_000)
            harness.confluence.putPage(space: "DOC", id: "P9", title: "Page P9", body: "<p>new</p>")
            harness.clock.advance(byMillis: 599_000)
            #expect(try harness.engine.snapshot(name: "docs").record.cycle == ready.record.cycle)
            harness.clock.advance(byMillis: 1_000)
            let next = try await harness.until("docs", "a scheduled cycle") { $0.record.cycle > ready.record.cycle && $0.record.state == .ready }
            #expect(next.indexed == 6)
        }
    }

    @Test("Credits run out: paused with nothing half-done; a top-up resumes processing; each version charged once")
    func credits() async throws {
        var options = InProcessHarness.options()
        options.batchSize = 10
        options.pagesPerTransaction = 10
        try await InProcessHarness.with(options: options) { harness in
            harness.confluence.addPages(space: "DOC", count: 60, words: 100)
            // 1 credit per 1000 tokens, 100 tokens a page: 0.1 credit a page; 2 credits pay for 20 pages.
            _ = try await harness.engine.addCredits(millicredits: 2_000, note: "test")
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let paused = try await harness.until("docs", "a credit pause") {
                if case .paused(.insufficientCredits) = $0.record.state { true } else { false }
            }
            #expect(paused.indexed == 20 && paused.pending == 40)
            #expect(try harness.engine.credits(recent: 0).balance == 0)
            _ = try await harness.engine.addCredits(millicredits: 100_000, note: "top-up")
            let ready = try await harness.ready("docs")
            #expect(ready.indexed == 60)
            let charges = try harness.temporary.store.read { try harness.engine.parts.ledger.allEntries($0) }.filter { $0.kind == .charge }
            #expect(charges.count == 60)
            #expect(Set(charges.map { "\($0.pageId ?? "")@\($0.pageVersion ?? 0)" }).count == 60)
        }
    }

    @Test("A user pause holds through a resync request (refused) and resumes where it was")
    func pauseAndResume() async throws {
        var options = InProcessHarness.options()
        options.batchSize = 5
        try await InProcessHarness.with(options: options) { harness in
            try await Self.processingRetry(harness)
            let paused = try await harness.engine.pause(name: "docs")
            #expect(paused.record.state == .paused(.byUser))
            await #expect(throws: EngineError.invalid(field: "state", message: "the datastore is paused; resume it to sync")) {
                try await harness.engine.resync(name: "docs")
            }
            harness.clock.advance(byMillis: 60_000)
            #expect(try harness.engine.snapshot(name: "docs").record.state == .paused(.byUser))
            let resumed = try await harness.engine.resume(name: "docs")
            #expect(resumed.record.state == .processing)
            #expect(try await harness.ready("docs").indexed == 40)
        }
    }

    @Test("Failures: a wrong token fails at once with no retries; transient errors and 429s are retried on the clock")
    func failures() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.addPages(space: "DOC", count: 3)
            harness.confluence.fail(.connect, with: .permanent)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let failed = try await harness.until("docs", "failed") { if case .failed = $0.record.state { true } else { false } }
            guard case .failed(let reason) = failed.record.state else { return }
            #expect(reason.kind == .authentication)
            #expect(harness.confluence.requests(.connect) == 1)

            harness.confluence.fail(.list, with: .rateLimited)
            harness.confluence.fail(.list, with: .transient)
            _ = try await harness.engine.resume(name: "docs")
            _ = try await harness.until("docs", "a retry") { $0.record.lastError?.contains("429") == true }
            harness.clock.advance(byMillis: 1_000)
            _ = try await harness.until("docs", "the second retry") { $0.record.lastError?.contains("503") == true }
            harness.clock.advance(byMillis: 10_000)
            let ready = try await harness.ready("docs")
            #expect(ready.indexed == 3 && ready.failed == 0)
        }
    }

    @Test("Metadata retries exhausted: failed as unreachable, retried at the next interval")
    func retriesExhausted() async throws {
        var options = InProcessHarness.options()
        options.maxAttempts = 2
        try await InProcessHarness.with(options: options) { harness in
            harness.confluence.addPages(space: "DOC", count: 3)
            harness.confluence.fail(.connect, with: .transient, times: 2)
            _ = try await harness.engine.create(harness.configuration("docs") { $0.resyncIntervalSeconds = 300 }, secret: nil)
            _ = try await harness.until("docs", "a retry") { $0.record.lastError != nil }
            harness.clock.advance(byMillis: 1_000)
            let failed = try await harness.until("docs", "failed") { if case .failed = $0.record.state { true } else { false } }
            guard case .failed(let reason) = failed.record.state else { return }
            #expect(reason.kind == .unreachable)
            harness.clock.advance(byMillis: 300_000)
            #expect(try await harness.ready("docs").indexed == 3)
        }
    }

    @Test("A vanished space fails the datastore with space_not_found; deleting a datastore removes it and its jobs")
    func vanishedSpaceAndDelete() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.addPages(space: "DOC", count: 4)
            harness.confluence.fail(.list, with: .spaceNotFound)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let failed = try await harness.until("docs", "failed") { if case .failed = $0.record.state { true } else { false } }
            guard case .failed(let reason) = failed.record.state else { return }
            #expect(reason.kind == .spaceNotFound)
            #expect(failed.indexed == 0)
            try await harness.engine.delete(name: "docs")
            #expect(throws: EngineError.noSuchDatastore("docs")) { try harness.engine.snapshot(name: "docs") }
            let jobs = try harness.temporary.store.read { try harness.engine.parts.queue.all($0) }
            #expect(jobs.isEmpty)
        }
    }

    @Test("After a restart, a datastore paused mid-processing resumes and finishes without charging twice")
    func restart() async throws {
        var options = InProcessHarness.options()
        options.batchSize = 5
        let harness = try InProcessHarness(options: options)
        try await harness.engine.start()
        try await Self.processingRetry(harness)
        try await harness.restart()
        // The restarted engine takes the queued retry when it comes due.
        harness.clock.advance(byMillis: 10_000)
        let ready = try await harness.ready("docs")
        #expect(ready.indexed == 40)
        // 40 first versions and 15 second ones, each charged once.
        let charges = try harness.temporary.store.read { try harness.engine.parts.ledger.allEntries($0) }.filter { $0.kind == .charge }
        #expect(charges.count == 55)
        #expect(Set(charges.map { "\($0.pageId ?? "")@\($0.pageVersion ?? 0)" }).count == 55)
        await harness.engine.stop()
    }

    @Test("Two concurrent updates of different fields are both kept")
    func concurrentUpdates() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.addPages(space: "DOC", count: 2)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            _ = try await harness.ready("docs")
            let engine = harness.engine
            async let first = engine.update(name: "docs", secret: nil) { (configuration: inout DatastoreConfiguration) throws(EngineError) in
                configuration.excludeTitles = ["Draft*"]
            }
            async let second = engine.update(name: "docs", secret: nil) { (configuration: inout DatastoreConfiguration) throws(EngineError) in
                configuration.resyncIntervalSeconds = 7_200
            }
            _ = try await (first, second)
            let stored = try engine.snapshot(name: "docs").record.configuration
            #expect(stored.excludeTitles == ["Draft*"])
            #expect(stored.resyncIntervalSeconds == 7_200)
            // An update that fails validation changes nothing.
            await #expect(throws: EngineError.self) {
                try await engine.update(name: "docs", secret: nil) { (configuration: inout DatastoreConfiguration) throws(EngineError) in
                    configuration.url = "not a url"
                }
            }
            #expect(try engine.snapshot(name: "docs").record.configuration.url == harness.confluence.url(space: "DOC"))
        }
    }

    /// A first sync of 40 pages (indexed straight from the listing), then an incremental cycle
    /// with 15 pages edited: their bodies are fetched by id, 5 a batch, and the first fetch fails
    /// once, so the datastore waits in processing for its retry (the clock is not advanced).
    static func processingRetry(_ harness: InProcessHarness) async throws {
        harness.confluence.addPages(space: "DOC", count: 40)
        _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
        #expect(try await harness.ready("docs").indexed == 40)
        #expect(harness.confluence.requests(.fetch) == 0, "a first sync needs no fetch by id")
        harness.confluence.addPages(space: "DOC", count: 15, words: 25)
        harness.confluence.fail(.fetch, with: .transient, times: 1)
        _ = try await harness.engine.resync(name: "docs")
        _ = try await harness.until("docs", "a retry") { $0.record.state == .processing && $0.record.lastError != nil }
    }

}

import Confluence
import FakeConfluenceSupport
import Foundation
import Search
import Storage
import Testing
@testable import Engine

@Suite("Engine against the fake Confluence", .serialized)
struct SyncTests {
    /// The current pages of GEN without the `template` label, by id → version: what a
    /// datastore excluding that label must hold, read straight from the fake.
    static func expectedPages(_ harness: EngineHarness) async throws -> [String: Int] {
        let (client, space) = try await harness.truthClient()
        let pages = try await client.pages(in: space).collect()
        let templated = Set(try await client.search(cql: "type = page and space = \"GEN\" and label = \"template\"").collect().map(\.id))
        var result: [String: Int] = [:]
        for page in pages where !templated.contains(page.id) { result[page.id] = page.version }
        return result
    }

    @Test("A space reaches ready with every current page indexed exactly once, in 2⌈N/250⌉ + a few requests")
    func fullSync() async throws {
        try await EngineHarness.with(["--generate", "700", "--seed", "3"]) { harness in
            let expected = try await Self.expectedPages(harness)
            try await harness.fake.resetStats()
            _ = try await harness.engine.create(harness.configuration("gen") { $0.excludeLabels = ["template"] }, secret: EngineHarness.token)
            let ready = try await harness.waitForReady("gen")
            let requests = try await harness.fake.requestCount()

            let manifest = try harness.manifest("gen")
            let indexed = manifest.filter { $0.value.disposition == .indexed }
            #expect(Set(indexed.keys) == Set(expected.keys))
            for (id, version) in expected { #expect(indexed[id]?.versionIndexed == version) }
            #expect(ready.indexed == expected.count)
            #expect(ready.pending == 0 && ready.failed == 0)
            #expect(ready.skippedByReason["excluded_by_label"] ?? 0 > 0)
            // Indexed exactly once: the index holds each page once with its chunks.
            let id = try harness.engine.identifier(of: "gen")
            let statistics = try harness.temporary.store.read { try harness.engine.parts.index.statistics(datastore: id, in: $0) }
            #expect(statistics.pageCount == expected.count)
            #expect(statistics.chunkCount == indexed.values.reduce(0) { $0 + $1.chunks })
            // Listing (⌈N/250⌉ over all current pages) + bodies (⌈indexed/250⌉) + connect + label query.
            let listed = ready.discovered
            let bound = 2 * Int((Double(listed) / 250).rounded(.up)) + 4
            #expect(requests <= bound, "made \(requests) requests for \(listed) pages; bound \(bound)")
            // Searchable, with a citation URL into the fake.
            let someTitle = try #require(indexed.values.first?.title)
            let hits = try harness.engine.search(name: "gen", query: "\"\(someTitle)\"", limit: 5)
            #expect(hits.contains { $0.result.title == someTitle })
            #expect(hits.allSatisfy { $0.url.hasPrefix(harness.fake.origin) })
        }
    }

    @Test("A resync reflects edits, creations, archivals, deletions and moves, in ⌈N/250⌉ + ⌈changed/250⌉ + a few requests")
    func incrementalResync() async throws {
        try await EngineHarness.with(["--generate", "400", "--seed", "5"]) { harness in
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            _ = try await harness.waitForReady("gen")
            try await harness.waitForLabels("gen")  // the first cycle's label refresh, before the counted resync
            let before = try harness.manifest("gen").filter { $0.value.disposition == .indexed }
            let ids = before.keys.sorted()
            let edited = ids[0], archived = ids[1], deleted = ids[2], moved = ids[3]
            try await harness.fake.editPage(edited, body: "<p>The zanzibar quokka protocol replaces the old handshake.</p>")
            try await harness.fake.archivePage(archived)
            try await harness.fake.deletePage(deleted)
            try await harness.fake.movePage(moved, parentId: ids[4])
            let created = try await harness.fake.createPage(space: "GEN", title: "Brand new xylophone page",
                                                           body: "<p>Xylophone tuning checklist for the orchestra.</p>")
            try await harness.fake.resetStats()
            let cycleBefore = try harness.engine.snapshot(name: "gen").record.cycle
            _ = try await harness.engine.resync(name: "gen")
            let ready = try await harness.waitFor("gen", "the next ready") { snapshot in
                snapshot.record.cycle > cycleBefore && snapshot.record.state == .ready
            }
            let requests = try await harness.fake.requestCount()

            let after = try harness.manifest("gen")
            #expect(after[edited]?.disposition == .indexed)
            #expect(after[edited]?.versionIndexed == (before[edited]?.versionIndexed ?? 0) + 1)
            #expect(after[archived]?.disposition == .deleted)
            #expect(after[deleted]?.disposition == .deleted)
            #expect(after[created]?.disposition == .indexed)
            #expect(after[moved]?.parentId == ids[4])
            #expect(try harness.engine.search(name: "gen", query: "zanzibar quokka", limit: 3).first?.result.pageID == edited)
            #expect(try harness.engine.search(name: "gen", query: "xylophone", limit: 3).first?.result.pageID == created)
            let id = try harness.engine.identifier(of: "gen")
            for gone in [archived, deleted] {
                let chunks = try harness.temporary.store.read { try harness.engine.parts.index.chunkIDs(pageID: gone, datastore: id, in: $0) }
                #expect(chunks.isEmpty, "page \(gone) still has chunks in the index")
            }
            // The audit finds no stale postings anywhere.
            let audit = try harness.temporary.store.read { try harness.engine.parts.index.audit(datastore: id, in: $0) }
            #expect(audit.isConsistent, "\(audit)")
            // Listing ⌈N/250⌉ + one body request for the 3 changed pages (edited, moved, created) + connect
            // + labels (Cloud: the labels in use in the space, then one search for ⌈labelled pages/250⌉).
            let labelled = after.values.filter { !($0.labels ?? []).isEmpty && $0.disposition != .deleted }.count
            let bound = Int((Double(ready.discovered) / 250).rounded(.up)) + 1 + 3 + 1 + Int((Double(labelled) / 250).rounded(.up))
            #expect(requests <= bound, "made \(requests) requests; bound \(bound)")
        }
    }

    // Credits running out and resuming: InProcessEngineTests.credits (in process, no fake needed).

    @Test("A wrong token fails at once with a clear reason, no retry storm, and no secret in the message")
    func wrongToken() async throws {
        try await EngineHarness.with(["--generate", "20"]) { harness in
            try await harness.fake.resetStats()
            _ = try await harness.engine.create(harness.configuration("gen"), secret: "not-the-token-\(UUID().uuidString)")
            let failed = try await harness.waitFor("gen", "failed") { snapshot in
                if case .failed = snapshot.record.state { return true }
                return false
            }
            guard case .failed(let reason) = failed.record.state else { return }
            #expect(reason.kind == .authentication)
            #expect(!reason.message.contains("not-the-token"))
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await harness.fake.requestCount() <= 3)
            // Fixing the token and resuming recovers.
            var configuration = failed.record.configuration
            configuration.email = EngineHarness.email
            _ = try await harness.engine.update(name: "gen", configuration: configuration, secret: EngineHarness.token)
            _ = try await harness.waitForReady("gen")
        }
    }

    @Test("Title globs, excluded labels and page trees decide the scope; a filter change removes pages in the same cycle")
    func filters() async throws {
        try await EngineHarness.with(["--generate", "300", "--seed", "11"]) { harness in
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            _ = try await harness.waitForReady("gen")
            let all = try harness.manifest("gen").values.filter { $0.disposition == .indexed }
            // Pick a root that has descendants.
            let parents = Dictionary(grouping: all.compactMap(\.parentId), by: { $0 })
            let root = try #require(parents.max { $0.value.count < $1.value.count }?.key)
            var configuration = try harness.engine.snapshot(name: "gen").record.configuration
            configuration.rootPageIds = [root]
            _ = try await harness.engine.update(name: "gen", configuration: configuration, secret: nil)
            let cycle = try harness.engine.snapshot(name: "gen").record.cycle
            let ready = try await harness.waitFor("gen", "ready after the scope change") { $0.record.cycle >= cycle && $0.record.state == .ready }
            let manifest = try harness.manifest("gen")
            var byId: [String: ManifestEntry] = [:]
            for entry in manifest.values { byId[entry.pageId] = entry }
            func underRoot(_ id: String) -> Bool {
                var current: String? = id
                var steps = 0
                while let node = current, steps < 1_000 {
                    if node == root { return true }
                    current = byId[node]?.parentId
                    steps += 1
                }
                return false
            }
            for entry in manifest.values where entry.disposition == .indexed { #expect(underRoot(entry.pageId)) }
            for entry in manifest.values where entry.disposition == .skipped { #expect(entry.reason == "outside_page_trees") }
            #expect(ready.skippedByReason["outside_page_trees"] ?? 0 > 0)
            let id = try harness.engine.identifier(of: "gen")
            let statistics = try harness.temporary.store.read { try harness.engine.parts.index.statistics(datastore: id, in: $0) }
            #expect(statistics.pageCount == ready.indexed)
        }
    }

    /// Every current page of every visible, current space without the `template` label, by id →
    /// (space key, version): what a `spaces = *` datastore excluding that label must hold.
    static func expectedAcrossSpaces(_ harness: EngineHarness) async throws -> [String: (space: String, version: Int)] {
        let site = try SpaceLocation.parse(harness.fake.origin + "/wiki", allowingSiteURL: true).site
        let client = try await ConfluenceClient.connect(
            toSite: site, credentials: .apiToken(email: EngineHarness.email, token: EngineHarness.token),
            governor: RateGovernor(configuration: .init(requestsPerSecond: 0)))
        let templated = Set(try await client.search(cql: "type = page and label = \"template\"").collect().map(\.id))
        var result: [String: (space: String, version: Int)] = [:]
        for space in try await client.spaces().collect() {
            for page in try await client.pages(in: space).collect() where !templated.contains(page.id) {
                result[page.id] = (space.key, page.version)
            }
        }
        return result
    }

    /// The manifest's indexed pages must be exactly `expected`, each in the index once, with no stale posting.
    static func expectIndexed(_ harness: EngineHarness, _ name: String, _ expected: [String: (space: String, version: Int)]) throws {
        let indexed = try harness.manifest(name).filter { $0.value.disposition == .indexed }
        #expect(Set(indexed.keys) == Set(expected.keys))
        for (id, truth) in expected {
            #expect(indexed[id]?.versionIndexed == truth.version, "page \(id)")
            #expect(indexed[id]?.spaceKey == truth.space, "page \(id)")
        }
        let id = try harness.engine.identifier(of: name)
        let statistics = try harness.temporary.store.read { try harness.engine.parts.index.statistics(datastore: id, in: $0) }
        #expect(statistics.pageCount == expected.count)
        #expect(statistics.chunkCount == indexed.values.reduce(0) { $0 + $1.chunks })
        let audit = try harness.temporary.store.read { try harness.engine.parts.index.audit(datastore: id, in: $0) }
        #expect(audit.isConsistent, "\(audit)")
    }

    @Test("spaces = * indexes every visible space once, picks up a new space and drops a deleted or hidden one in one cycle")
    func allSpaces() async throws {
        try await EngineHarness.with(["--generate", "150", "--seed", "9"]) { harness in
            let fake = harness.fake
            try await fake.createSpace(key: "OPS", generate: 90, seed: 2)
            try await fake.createSpace(key: "~alice", type: "personal", generate: 40, seed: 4)
            try await fake.createSpace(key: "OLD", status: "archived", generate: 10, seed: 5)  // archived: out of scope
            try await fake.createSpace(key: "SECRET", generate: 10, seed: 6)
            try await fake.updateSpace("SECRET", visible: false)  // invisible: out of scope
            let expected = try await Self.expectedAcrossSpaces(harness)
            #expect(Set(expected.values.map(\.space)) == ["GEN", "OPS", "~alice"])

            let configuration = DatastoreConfiguration(
                name: "all", url: fake.origin + "/wiki", auth: .apiToken, email: EngineHarness.email, tokenSource: .stored,
                spaces: ["*"], excludeLabels: ["template"])
            _ = try await harness.engine.create(configuration, secret: EngineHarness.token)
            let ready = try await harness.waitForReady("all")
            #expect(ready.indexed == expected.count && ready.pending == 0 && ready.failed == 0)
            #expect(ready.skippedByReason["excluded_by_label"] ?? 0 > 0)
            try Self.expectIndexed(harness, "all", expected)
            let before = try harness.manifest("all")
            let opsPages = before.values.filter { $0.spaceKey == "OPS" && $0.disposition == .indexed }.map(\.pageId)
            let alicePages = before.values.filter { $0.spaceKey == "~alice" && $0.disposition == .indexed }.map(\.pageId)
            #expect(!opsPages.isEmpty && !alicePages.isEmpty)

            // A new space appears, one is deleted, one becomes invisible.
            try await fake.createSpace(key: "NEW", generate: 30, seed: 8)
            let marker = try await fake.createPage(space: "NEW", title: "Quetzalcoatl onboarding",
                                                   body: "<p>The quetzalcoatl rota starts on Mondays.</p>")
            try await fake.deleteSpace("OPS")
            try await fake.updateSpace("~alice", visible: false)
            let expectedAfter = try await Self.expectedAcrossSpaces(harness)
            #expect(Set(expectedAfter.values.map(\.space)) == ["GEN", "NEW"])

            let cycleBefore = try harness.engine.snapshot(name: "all").record.cycle
            _ = try await harness.engine.resync(name: "all")
            let after = try await harness.waitFor("all", "the next ready") { $0.record.cycle > cycleBefore && $0.record.state == .ready }
            #expect(after.record.cycle == cycleBefore + 1, "one cycle")
            #expect(after.indexed == expectedAfter.count)
            try Self.expectIndexed(harness, "all", expectedAfter)
            let manifest = try harness.manifest("all")
            let id = try harness.engine.identifier(of: "all")
            for gone in opsPages + alicePages {
                #expect(manifest[gone]?.disposition == .deleted, "page \(gone)")
                let chunks = try harness.temporary.store.read {
                    try harness.engine.parts.index.chunkIDs(pageID: gone, datastore: id, in: $0)
                }
                #expect(chunks.isEmpty, "page \(gone) still has chunks")
            }
            #expect(try harness.engine.search(name: "all", query: "quetzalcoatl", limit: 3).first?.result.pageID == marker)

            // A listing that finds no space at all (every space hidden, as a wrong Data Center
            // token would see it) fails the cycle and deletes nothing.
            let indexedBefore = after.indexed
            for key in ["GEN", "NEW"] { try await fake.updateSpace(key, visible: false) }
            _ = try await harness.engine.resync(name: "all")
            let failed = try await harness.waitFor("all", "failed") { snapshot in
                if case .failed = snapshot.record.state { return true }
                return false
            }
            guard case .failed(let reason) = failed.record.state else { return }
            #expect(reason.kind == .spaceNotFound)
            #expect(!reason.message.contains(EngineHarness.token))
            #expect(failed.indexed == indexedBefore)
            try Self.expectIndexed(harness, "all", expectedAfter)
        }
    }

    @Test("A failed space listing never counts as complete: nothing is deleted, and the next cycle recovers")
    func allSpacesListingFailure() async throws {
        try await EngineHarness.with(["--generate", "60", "--seed", "12"]) { harness in
            try await harness.fake.createSpace(key: "OPS", generate: 40, seed: 3)
            let configuration = DatastoreConfiguration(
                name: "all", url: harness.fake.origin + "/wiki/spaces/GEN", auth: .apiToken, email: EngineHarness.email,
                tokenSource: .stored, spaces: ["*"], excludeLabels: ["template"])
            _ = try await harness.engine.create(configuration, secret: EngineHarness.token)
            let ready = try await harness.waitForReady("all")
            let expected = try await Self.expectedAcrossSpaces(harness)
            try Self.expectIndexed(harness, "all", expected)

            // Every request fails for a while: the cycle cannot list spaces, and must not start.
            try await harness.fake.setFaults(#"{"failRate": 1.0, "failStatuses": [500]}"#)
            _ = try await harness.engine.resync(name: "all")
            try await Task.sleep(for: .milliseconds(1_500))
            let during = try harness.engine.snapshot(name: "all")
            #expect(during.indexed == ready.indexed)
            #expect(try harness.manifest("all").values.allSatisfy { $0.disposition != .deleted })
            try await harness.fake.setFaults(#"{"failRate": 0}"#)
            let cycleBefore = during.record.cycle
            _ = try await harness.engine.resync(name: "all")
            _ = try await harness.waitFor("all", "ready again") { $0.record.cycle > cycleBefore && $0.record.state == .ready }
            try Self.expectIndexed(harness, "all", expected)
        }
    }
}

import Confluence
import Content
import FakeConfluenceSupport
import Foundation
import Logging
import Storage
import Testing
@testable import Engine
@testable import Search

@Suite("Engine search over datastores with filters, and page reads")
struct SearchAndPageTests {
    @Test("A page is named by its id, a URL holding /pages/ID or pageId=ID, or another URL to match; #anchor ignored")
    func pageReferences() {
        #expect(PageReference(" 123 ") == .id("123"))
        #expect(PageReference("123#Intro") == .id("123"))
        #expect(PageReference("https://x.atlassian.net/wiki/spaces/HB/pages/300064/Expenses+and+travel#Travel") == .id("300064"))
        #expect(PageReference("https://x.atlassian.net/wiki/spaces/HB/pages/300064") == .id("300064"))
        #expect(PageReference("https://dc.example/pages/viewpage.action?pageId=42&src=contextnavpagetreemode") == .id("42"))
        #expect(PageReference("https://x/wiki/pages/edit-v2/77") == .webURL("https://x/wiki/pages/edit-v2/77"))
        #expect(PageReference("https://dc.example/display/HB/Expenses+and+travel#Travel")
                    == .webURL("https://dc.example/display/HB/Expenses+and+travel"))
        #expect(PageReference("/display/HB/Home") == .webURL("/display/HB/Home"))
        #expect(PageReference("page-7") == .id("page-7"))
    }

    @Test("Every indexed page keeps its whole text; it is read by id or by any URL, and leaves with the page")
    func pageTexts() async throws {
        try await EngineHarness.with(["--generate", "40", "--seed", "4"]) { harness in
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            _ = try await harness.waitForReady("gen")
            let id = try harness.engine.identifier(of: "gen")
            let indexed = try harness.manifest("gen").values.filter { $0.disposition == .indexed }
            #expect(indexed.count > 20)
            let audit = try harness.temporary.store.read { try harness.engine.parts.index.audit(datastore: id, in: $0) }
            #expect(audit.isConsistent, "\(audit.problems)")
            #expect(audit.pageTexts == indexed.count && audit.pagesWithoutText == 0)
            // The time of the fetched version is kept for date filters.
            #expect(indexed.allSatisfy { $0.lastModified != nil })

            // The text is the fetched body's Markdown, with an outline.
            let (client, _) = try await harness.truthClient()
            let entry = try #require(indexed.max { $0.tokens < $1.tokens })
            let truth = try #require(try await client.pages(ids: [entry.pageId]).first)
            let page = try harness.engine.page(datastore: "gen", page: entry.pageId)
            let expected = PageText(document: StorageFormat.convert(try #require(truth.storageBody), title: truth.title))
            #expect(page.text == expected)
            #expect(page.title == entry.title && page.space == "GEN" && page.version == entry.versionIndexed)
            #expect(page.lastModified == entry.lastModified)
            #expect(page.url.hasPrefix(harness.fake.origin) && page.url.contains("/pages/\(entry.pageId)"))

            // Any URL the page is known by names it, anchors ignored.
            for reference in [page.url, page.url + "#Some-heading", " \(entry.pageId) ",
                              harness.fake.origin + "/wiki/api/v2/pages/\(entry.pageId)?body-format=storage",
                              harness.fake.origin + "/wiki/pages/viewpage.action?pageId=\(entry.pageId)&src=x"] {
                #expect(try harness.engine.page(datastore: "gen", page: reference).pageId == entry.pageId, "\(reference)")
            }
            // A web URL with no id in it (Data Center's /display/…) is matched against the manifest.
            let other = try #require(indexed.first { $0.pageId != entry.pageId })
            try harness.temporary.store.write { txn in
                var moved = other
                moved.webui = "/display/GEN/Caf%C3%A9+notes"
                try harness.engine.parts.tables.putPage(txn, datastore: id, old: other, new: moved)
            }
            let cited = try harness.engine.page(datastore: "gen", page: other.pageId).url
            #expect(cited.hasSuffix("/display/GEN/Caf%C3%A9+notes"))
            #expect(try harness.engine.page(datastore: "gen", page: cited.replacingOccurrences(of: "Caf%C3%A9+", with: "Café%20")
                                            + "#Intro").pageId == other.pageId)

            #expect(throws: EngineError.noSuchPage(datastore: "gen", pageId: "99999999")) {
                try harness.engine.page(datastore: "gen", page: "99999999")
            }
            #expect(throws: EngineError.noSuchPage(datastore: "gen", pageId: harness.fake.origin + "/wiki/display/GEN/Nothing")) {
                try harness.engine.page(datastore: "gen", page: harness.fake.origin + "/wiki/display/GEN/Nothing")
            }
            #expect(throws: EngineError.noSuchDatastore("nope")) { try harness.engine.page(datastore: "nope", page: "1") }
            #expect(throws: EngineError.noSuchPage(datastore: "gen", pageId: String(repeating: "9", count: 200))) {
                try harness.engine.page(datastore: "gen", page: String(repeating: "9", count: 5_000))
            }

            // Deleted in Confluence: its text leaves the index with its chunks.
            try await harness.fake.deletePage(entry.pageId)
            let cycle = try harness.engine.snapshot(name: "gen").record.cycle
            _ = try await harness.engine.resync(name: "gen")
            _ = try await harness.waitFor("gen", "the next ready") { $0.record.cycle > cycle && $0.record.state == .ready }
            #expect(throws: EngineError.noSuchPage(datastore: "gen", pageId: entry.pageId)) {
                try harness.engine.page(datastore: "gen", page: entry.pageId)
            }
            #expect(try harness.temporary.store.read { try harness.engine.parts.index.pageText(pageID: entry.pageId, datastore: id, in: $0) } == nil)

            // And every text leaves with the datastore.
            try await harness.engine.delete(name: "gen")
            #expect(try harness.temporary.store.read { try harness.engine.parts.index.pageText(pageID: other.pageId, datastore: id, in: $0) } == nil)
        }
    }

    @Test("Several datastores are merged by score; filters by space, label and date hold `limit` results and carry page metadata")
    func searchAcrossAndFiltered() async throws {
        try await EngineHarness.with(["--generate", "120", "--seed", "6", "--sample"]) { harness in
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            _ = try await harness.engine.create(harness.configuration("hb", space: "HB"), secret: EngineHarness.token)
            _ = try await harness.waitForReady("gen")
            _ = try await harness.waitForReady("hb")
            // Labels are written below: the refresh after ready must not overwrite them.
            try await harness.waitForLabels("gen")
            try await harness.waitForLabels("hb")
            let engine = harness.engine
            let query = "team deploy review"

            // Merged by score, as the separate searches would merge.
            let gen = try engine.search(datastores: ["gen"], query: query, limit: 20)
            let hb = try engine.search(datastores: ["hb"], query: query, limit: 20)
            #expect(!gen.isEmpty && !hb.isEmpty)
            let merged = try engine.search(datastores: ["gen", "hb"], query: query, limit: 20)
            let ranked: [(offset: Int, element: EngineSearchHit)] = Array((gen + hb).enumerated())
            let expected = ranked.sorted { lhs, rhs in
                let (left, right) = (lhs.element.result.score, rhs.element.result.score)
                return left > right || (left == right && lhs.offset < rhs.offset)
            }.prefix(20).map(\.element)
            #expect(merged == Array(expected))
            #expect(Set(merged.map(\.datastore)) == ["gen", "hb"])
            #expect(try engine.search(datastores: [], query: query, limit: 20) == merged)
            #expect(try engine.search(datastores: ["hb", "gen", "hb"], query: query, limit: 20).map(\.result.score) == merged.map(\.result.score))
            #expect(throws: EngineError.noSuchDatastore("nope")) { try engine.search(datastores: ["gen", "nope"], query: query, limit: 5) }

            // Each hit carries its page's metadata and its passage.
            let manifest = try harness.manifest("gen")
            for hit in gen {
                let entry = try #require(manifest[hit.result.pageID])
                #expect(hit.datastore == "gen" && hit.space == "GEN" && hit.version == entry.versionIndexed)
                #expect(hit.lastModified == entry.lastModified && hit.lastModified != nil)
                #expect(hit.passage.hasPrefix(hit.result.title) && hit.passage.hasSuffix(hit.result.text))
            }

            // Space filter, case aside.
            let spaced = try engine.search(datastores: [], query: query, limit: 5, filters: SearchFilters(spaces: ["hb"]))
            #expect(spaced.count == min(5, hb.count) && spaced.allSatisfy { $0.datastore == "hb" && $0.space == "HB" })

            // Labels: pages low in the ranking carry them; `limit` results still come back, all of them labelled.
            let all = try engine.search(datastores: ["gen"], query: query, limit: 100)
            let tail = Array(Set(all.suffix(30).map(\.result.pageID)).sorted().prefix(6))
            #expect(tail.count == 6)
            let id = try engine.identifier(of: "gen")
            try harness.temporary.store.write { txn in
                for (index, pageId) in tail.enumerated() {
                    let old = try #require(manifest[pageId])
                    var new = old
                    new.labels = index < 2 ? ["picked", "Extra"] : ["picked"]
                    try engine.parts.tables.putPage(txn, datastore: id, old: old, new: new)
                }
            }
            let picked = try engine.search(datastores: ["gen", "hb"], query: query, limit: 4, filters: SearchFilters(labels: ["picked"]))
            #expect(picked.count == 4 && picked.allSatisfy { tail.contains($0.result.pageID) && $0.labels.contains("picked") })
            let both = try engine.search(datastores: ["gen"], query: query, limit: 10, filters: SearchFilters(labels: ["extra", "PICKED"]))
            #expect(Set(both.map(\.result.pageID)) == Set(tail.prefix(2)))

            // Date filter: at or after the threshold only; pages of unknown date are left out.
            let dates = all.compactMap(\.lastModified).sorted()
            let threshold = dates[dates.count / 2]
            let recent = try engine.search(datastores: ["gen"], query: query, limit: 5, filters: SearchFilters(modifiedAfter: threshold))
            #expect(recent.count == 5 && recent.allSatisfy { ($0.lastModified ?? .min) >= threshold })
            let future = try engine.search(datastores: ["gen"], query: query, limit: 5,
                                           filters: SearchFilters(modifiedAfter: Int64(Date().timeIntervalSince1970 * 1_000) + 86_400_000))
            #expect(future.isEmpty)
        }
    }

    @Test("Hits cite what is committed now: page metadata and the site written after a search show in the next one")
    func hitsFollowCommittedChanges() async throws {
        try await EngineHarness.with(["--generate", "30", "--seed", "9"]) { harness in
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            _ = try await harness.waitForReady("gen")
            try await harness.waitForLabels("gen")
            let engine = harness.engine
            let query = "team deploy review"
            let before = try engine.search(datastores: ["gen"], query: query, limit: 5)
            // Searched twice: the second is answered from what the first decoded.
            #expect(try engine.search(datastores: ["gen"], query: query, limit: 5) == before)
            let top = try #require(before.first)
            let id = try engine.identifier(of: "gen")
            let old = try #require(try harness.manifest("gen")[top.result.pageID])
            var new = old
            new.labels = ["moved"]
            new.webui = "/spaces/GEN/pages/\(old.pageId)/Moved+page"
            try harness.temporary.store.write { txn in
                try engine.parts.tables.putPage(txn, datastore: id, old: old, new: new)
                var record = try #require(try engine.parts.datastores.record(txn, id))
                record.site?.host = "moved.example"
                try engine.parts.datastores.put(txn, record)
            }
            let site = try #require(try engine.parts.store.read { try engine.parts.datastores.record($0, id) }?.site)
            let after = try #require(try engine.search(datastores: ["gen"], query: query, limit: 5).first { $0.result.pageID == top.result.pageID })
            #expect(after.labels == ["moved"])
            #expect(after.url.hasPrefix(site.webURL(try #require(new.webui))), "\(after.url)")
            #expect(after.url.contains("moved.example"))
            // Only that page carries the label now (up to two passages of it).
            let labelled = try engine.search(datastores: ["gen"], query: query, limit: 5, filters: SearchFilters(labels: ["moved"]))
            #expect(!labelled.isEmpty && Set(labelled.map(\.result.pageID)) == [top.result.pageID])
        }
    }

    @Test("An index of layout 2 (no page texts) is rebuilt at start: every page gets its text, nothing is charged twice")
    func layoutBumpRebuilds() async throws {
        try await EngineHarness.with(["--generate", "50", "--seed", "8"]) { harness in
            _ = try await harness.engine.create(harness.configuration("gen"), secret: EngineHarness.token)
            let ready = try await harness.waitForReady("gen")
            let id = try harness.engine.identifier(of: "gen")
            let index = harness.engine.parts.index
            let charges = { (engine: Engine) throws -> Int in
                try harness.temporary.store.read { try engine.parts.ledger.allEntries($0).filter { $0.kind == .charge }.count }
            }
            let chargesBefore = try charges(harness.engine)
            await harness.engine.stop()

            // What the previous build wrote: layout 2, no texts.
            try harness.temporary.store.write { txn in
                _ = try txn.deleteAll(in: index.tables.documents, .prefix(datastorePrefix(id)))
                var stats = try index.statistics(datastore: id, in: txn)
                stats.layout = 2
                try txn.put(index.tables.stats, id, stats)
            }
            #expect(try harness.temporary.store.read { try index.needsRebuild(datastore: id, in: $0) })
            let some = try #require(harness.manifest("gen").values.first { $0.disposition == .indexed }?.pageId)
            #expect(throws: EngineError.noSuchPage(datastore: "gen", pageId: some)) {
                try harness.engine.page(datastore: "gen", page: some)
            }

            let restarted = try harness.restartedEngine()
            try await restarted.start()
            let deadline = Date().addingTimeInterval(60)
            var snapshot = try restarted.snapshot(name: "gen")
            while Date() < deadline, !(snapshot.record.state == .ready && snapshot.pending == 0 && snapshot.indexed == ready.indexed) {
                try await Task.sleep(for: .milliseconds(20))
                snapshot = try restarted.snapshot(name: "gen")
            }
            #expect(snapshot.record.state == .ready && snapshot.indexed == ready.indexed, "\(snapshot)")
            let audit = try harness.temporary.store.read { try index.audit(datastore: id, in: $0) }
            #expect(audit.isConsistent, "\(audit.problems)")
            #expect(audit.storedStatistics.layout == IndexFormat.layout)
            #expect(audit.pageTexts == ready.indexed && audit.pagesWithoutText == 0)
            #expect(try charges(restarted) == chargesBefore, "page versions already paid for were charged again")
            await restarted.stop()
        }
    }
}

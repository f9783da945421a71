import Confluence
import FakeConfluenceSupport
import Foundation
import Testing
@testable import Engine

@Suite("Labels and last-modified times in the manifest", .serialized)
struct LabelSyncTests {
    enum Flavor: String, CaseIterable, Sendable { case cloud, dataCenter }

    /// Every current page of HB with its labels (as shown) and last-modified time, read from
    /// the fake one page at a time.
    static func truth(_ harness: EngineHarness, _ flavor: Flavor, space: String = "HB") async throws -> [String: (labels: [String], modified: Int64?)] {
        let url = flavor == .cloud ? harness.fake.origin + "/wiki/spaces/\(space)" : harness.fake.origin + "/display/\(space)"
        let (client, space) = try await ConfluenceClient.connect(
            to: try SpaceLocation.parse(url), credentials: .apiToken(email: EngineHarness.email, token: EngineHarness.token),
            governor: RateGovernor(configuration: .init(requestsPerSecond: 0)))
        var result: [String: (labels: [String], modified: Int64?)] = [:]
        for page in try await client.pages(in: space).collect() {
            let labels = try await client.labels(pageId: page.id).compactMap(\.displayName).sorted()
            result[page.id] = (labels, page.lastModified.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) })
        }
        return result
    }

    static func arguments(_ flavor: Flavor) -> [String] {
        flavor == .cloud ? ["--sample"] : ["--sample", "--mode", "dc"]
    }

    /// Resyncs and waits for ready; with `labels`, also for the label refresh that follows
    /// (datastores that exclude no label survey labels after ready, not in the cycle).
    func resync(_ harness: EngineHarness, labels: Bool = false) async throws {
        let before = try harness.engine.snapshot(name: "hb").record
        _ = try await harness.engine.resync(name: "hb")
        try await harness.waitFor("hb", "the next ready") { snapshot in
            snapshot.record.cycle > before.cycle && snapshot.record.state == .ready
                && (!labels || snapshot.record.labelsRefreshedAt != before.labelsRefreshedAt)
        }
    }

    /// Refreshes labels after every cycle, as a short `label_refresh` would.
    static func refreshEveryCycle() -> EngineOptions {
        var options = EngineHarness.fastOptions()
        options.labelRefreshMillis = 0
        return options
    }

    @Test("Labels and times land in the manifest; a label change alone is picked up by the next cycle without reprocessing",
          arguments: Flavor.allCases)
    func labelsFollowConfluence(_ flavor: Flavor) async throws {
        try await EngineHarness.with(Self.arguments(flavor)) { harness in
            let configuration = harness.configuration("hb", space: "HB") { configuration in
                if flavor == .dataCenter { configuration.url = harness.fake.origin + "/display/HB" }
                configuration.excludeLabels = ["template"]
            }
            _ = try await harness.engine.create(configuration, secret: EngineHarness.token)
            _ = try await harness.waitForReady("hb")
            let truth = try await Self.truth(harness, flavor)
            let manifest = try harness.manifest("hb")
            for (id, expected) in truth {
                let entry = try #require(manifest[id])
                #expect(entry.labels == expected.labels, "page \(id) \(entry.title)")
                #expect(entry.lastModified != nil && entry.lastModified == expected.modified, "page \(id) \(entry.title)")
            }
            // Exclusion reads the same labels.
            let template = try #require(manifest.values.first { $0.title == "Meeting notes template" })
            #expect(template.disposition == .skipped && template.reason == "excluded_by_label:template")
            #expect(template.labels == ["template"])

            // Labels change; versions do not.
            let runbook = try #require(manifest.values.first { $0.title == "On-call Runbook" })
            let policy = try #require(manifest.values.first { $0.title == "Security policy" })
            #expect(runbook.disposition == .indexed && policy.disposition == .indexed)
            try await harness.fake.setLabels(runbook.pageId, ["runbook", "oncall", "zqxwlabel"])
            try await harness.fake.setLabels(policy.pageId, [])
            try await harness.fake.resetStats()
            try await resync(harness)
            let byKind = try #require(try await harness.fake.stats()["byKind"] as? [String: Int])
            let after = try harness.manifest("hb")
            #expect(after[runbook.pageId]?.labels == ["oncall", "runbook", "zqxwlabel"])
            #expect(after[policy.pageId]?.labels == [])
            for entry in [runbook, policy] {
                // Not processed again: same indexed version, same processing time, no body fetched.
                #expect(after[entry.pageId]?.disposition == .indexed)
                #expect(after[entry.pageId]?.versionIndexed == entry.versionIndexed)
                #expect(after[entry.pageId]?.lastProcessed == entry.lastProcessed)
            }
            #expect(after.values.filter { $0.disposition == .indexed }.count == manifest.values.filter { $0.disposition == .indexed }.count)
            // The whole cycle: the listing, and for labels one request per space plus one search on Cloud, none on DC.
            switch flavor {
            case .cloud:
                #expect(byKind["v2.space_content_labels"] == 1)
                #expect(byKind["v1.search"] == 1)
                #expect(byKind["v2.pages"] == nil && byKind["v2.page_labels"] == nil)
            case .dataCenter:
                #expect(byKind["dc.content"] == 2)  // the page listing and the blog post listing
                #expect(byKind["dc.search"] == nil && byKind["dc.content_by_id"] == nil)
            }
        }
    }

    @Test("On Cloud, several spaces cost one label listing each and one search for all of them",
          arguments: [["HB", "GEN"], ["*"]])
    func severalSpaces(_ spaces: [String]) async throws {
        try await EngineHarness.with(["--sample", "--generate", "80", "--seed", "4"]) { harness in
            let configuration = harness.configuration("hb", space: "HB") { configuration in
                configuration.url = harness.fake.origin + "/wiki"
                configuration.spaces = spaces
            }
            try await harness.fake.resetStats()
            _ = try await harness.engine.create(configuration, secret: EngineHarness.token)
            _ = try await harness.waitForReady("hb")
            _ = try await harness.waitForLabels("hb")
            let byKind = try #require(try await harness.fake.stats()["byKind"] as? [String: Int])
            #expect(byKind["v2.space_content_labels"] == 2)
            #expect(byKind["v1.search"] == 1)
            let manifest = try harness.manifest("hb")
            #expect(Set(manifest.values.map(\.spaceKey)) == ["HB", "GEN"])
            for entry in manifest.values where entry.status == "current" {
                #expect(entry.labels != nil && entry.lastModified != nil, "\(entry.spaceKey) \(entry.title)")
            }
            #expect(manifest.values.filter { $0.spaceKey == "GEN" && !($0.labels ?? []).isEmpty }.count > 10)
        }
    }

    @Test("On Cloud, labels that cannot be read stay as last known and the sync still completes")
    func unreadableLabelsKeepTheLastKnown() async throws {
        try await EngineHarness.with(Self.arguments(.cloud), options: Self.refreshEveryCycle()) { harness in
            _ = try await harness.engine.create(harness.configuration("hb", space: "HB"), secret: EngineHarness.token)
            _ = try await harness.waitForReady("hb")
            _ = try await harness.waitForLabels("hb")
            let before = try harness.manifest("hb")
            let runbook = try #require(before.values.first { $0.title == "On-call Runbook" })
            #expect(runbook.labels == ["oncall", "runbook"])

            // The labels in use cannot be listed (a token without that scope): nothing is known this cycle.
            try await harness.fake.setLabels(runbook.pageId, ["runbook"])
            try await harness.fake.setFaults(#"{"denyKinds": ["v2.space_content_labels"]}"#)
            try await resync(harness, labels: true)
            let during = try harness.manifest("hb")
            #expect(during[runbook.pageId]?.labels == ["oncall", "runbook"], "kept, not emptied")
            #expect(during.values.allSatisfy { $0.disposition != .indexed || $0.labels != nil })
            #expect(during.values.filter { $0.labels == [] }.count == before.values.filter { $0.labels == [] }.count)

            // The search fails instead: the same (nothing excluded, so the sync does not fail).
            try await harness.fake.setFaults(#"{"denyKinds": ["v1.search"]}"#)
            try await resync(harness, labels: true)
            #expect(try harness.manifest("hb")[runbook.pageId]?.labels == ["oncall", "runbook"])

            // Readable again: the change arrives.
            try await harness.fake.setFaults(#"{"denyKinds": []}"#)
            try await resync(harness, labels: true)
            #expect(try harness.manifest("hb")[runbook.pageId]?.labels == ["runbook"])
        }
    }

    @Test("On Cloud with no excluded label, a full sync makes ⌈N/250⌉ + a few requests; labels arrive after ready, once per refresh interval")
    func labelsAfterReady() async throws {
        try await EngineHarness.with(["--generate", "600", "--seed", "4"]) { harness in
            try await harness.fake.resetStats()
            _ = try await harness.engine.create(harness.configuration("hb", space: "GEN"), secret: EngineHarness.token)
            let ready = try await harness.waitForReady("hb")
            let refreshed = try await harness.waitForLabels("hb")
            // Ready came first: the survey ran after the cycle that reached it.
            let completed = try #require(ready.record.lastSyncCompleted)
            #expect(try #require(refreshed.record.labelsRefreshedAt) >= completed)
            #expect(refreshed.record.state == .ready && refreshed.record.cycle == ready.record.cycle)

            // The cycle's own requests: the connection and the listing with bodies, nothing by id,
            // nothing per page; the label survey's are counted apart.
            let stats = try await harness.fake.stats()
            let byKind = try #require(stats["byKind"] as? [String: Int])
            let total = try #require(stats["requests"] as? Int)
            let entries = try harness.manifest("hb").values
            let pages = entries.filter { $0.contentType == nil }.count, posts = entries.count - pages
            let surveyKinds = ["v2.space_content_labels", "v1.search"]
            let survey = surveyKinds.compactMap { byKind[$0] }.reduce(0, +)
            // One listing of the labels in use, then one search per 250 labelled pages.
            #expect(byKind["v2.space_content_labels"] == 1 && (byKind["v1.search"] ?? 0) >= 1)
            // Pages, then blog posts, each listed once with bodies (an empty blog listing is one request).
            #expect(byKind["v2.space_pages"] == (pages + 249) / 250)
            #expect(byKind["v2.space_blogposts"] == max(1, (posts + 249) / 250))
            #expect(byKind["v2.pages"] == nil && byKind["v2.page_labels"] == nil)
            // Everything but the survey, both connections included, within ⌈N/250⌉ + 5.
            #expect(total - survey <= (entries.count + 249) / 250 + 5, "\(byKind)")

            // The labels match Confluence's.
            let truth = try await Self.truth(harness, .cloud, space: "GEN")
            let manifest = try harness.manifest("hb")
            #expect(truth.values.filter { !$0.labels.isEmpty }.count > 10)
            for (id, expected) in truth {
                #expect(manifest[id]?.labels == expected.labels, "page \(id)")
            }

            // Within the refresh interval the next cycle surveys nothing.
            try await harness.fake.resetStats()
            try await resync(harness)
            let again = try #require(try await harness.fake.stats()["byKind"] as? [String: Int])
            #expect(surveyKinds.allSatisfy { again[$0] == nil }, "\(again)")
            #expect(try harness.engine.snapshot(name: "hb").record.labelsRefreshedAt == refreshed.record.labelsRefreshedAt)
        }
    }

    @Test("On Cloud, when the search for an excluded label cannot run, the cycle stops rather than index excluded pages")
    func exclusionStaysStrict() async throws {
        try await EngineHarness.with(Self.arguments(.cloud)) { harness in
            try await harness.fake.setFaults(#"{"denyKinds": ["v1.search"]}"#)
            _ = try await harness.engine.create(harness.configuration("hb", space: "HB") { $0.excludeLabels = ["template"] },
                                                secret: EngineHarness.token)
            let failed = try await harness.waitFor("hb", "failed") { snapshot in
                if case .failed = snapshot.record.state { return true }
                return false
            }
            guard case .failed(let reason) = failed.record.state else { return }
            #expect(reason.kind == .permission)
            #expect(try harness.manifest("hb").values.allSatisfy { $0.disposition != .indexed })
        }
    }
}

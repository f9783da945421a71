import FakeConfluenceSupport
import Foundation
import Testing
@testable import Confluence

@Suite("Labels without a request per page, against the fake")
struct LabelTests {
    static let email = "labels@example.com"
    static let token = "ATATT3xFfGF0-labels-secret"
    static let pat = "MzA5NTQ4-labels-pat"

    @Test func displayNamesAreAsConfluenceShowsThem() {
        #expect(Label(name: "runbook", prefix: "global").displayName == "runbook")
        #expect(Label(name: "runbook").displayName == "runbook")
        #expect(Label(name: "favourite", prefix: "my").displayName == "my:favourite")
        #expect(Label(name: "ops", prefix: "team").displayName == "team:ops")
        #expect(Label(name: "internal", prefix: "system").displayName == nil)
    }

    @Test func cloudLabelsInUseAndOneSearchTellEveryPagesLabels() async throws {
        try await FakeConfluence.with(["--sample", "--email", Self.email, "--token", Self.token]) { fake in
            let location = try SpaceLocation.parse("\(fake.origin)/wiki/spaces/HB")
            let (client, space) = try await ConfluenceClient.connect(
                to: location, credentials: .apiToken(email: Self.email, token: Self.token),
                governor: RateGovernor(configuration: .fast()))
            let pages = try await client.pages(in: space).collect()
            #expect(pages.allSatisfy { $0.lastModified != nil })
            // The truth, one request per page (what the survey must avoid).
            var truth: [String: Set<String>] = [:]
            for page in pages { truth[page.id] = Set(try await client.labels(pageId: page.id).compactMap(\.displayName)) }
            try await fake.resetStats()

            let inUse = Set(try await client.contentLabels(in: space).collect().compactMap(\.displayName))
            #expect(inUse == Set(truth.values.joined()))
            #expect(inUse.isSuperset(of: ["runbook", "policy", "onboarding"]))
            let cql = "type = page and space in (\"HB\") and label in ("
                + inUse.sorted().map { "\"\($0)\"" }.joined(separator: ",") + ")"
            let found = try await client.labelledContent(cql: cql).collect()
            #expect(found.count == truth.values.filter { !$0.isEmpty }.count)
            for content in found {
                #expect(Set(try #require(content.labels).compactMap(\.displayName)) == truth[content.id])
            }
            let byKind = try #require(try await fake.stats()["byKind"] as? [String: Int])
            #expect(byKind == ["v2.space_content_labels": 1, "v1.search": 1])
            // The same ids and labels as the full search, which carries versions, spaces and ancestors too.
            let full = try await client.search(cql: cql, includeLabels: true).collect()
            #expect(Dictionary(uniqueKeysWithValues: full.map { ($0.id, Set($0.labels ?? [])) })
                == Dictionary(uniqueKeysWithValues: found.map { ($0.id, Set($0.labels ?? [])) }))
            #expect(full.allSatisfy { $0.spaceId != nil })
        }
    }

    @Test func dataCenterListingCarriesLabelsAndTimes() async throws {
        try await FakeConfluence.with(["--sample", "--mode", "dc", "--pat", Self.pat]) { fake in
            let location = try SpaceLocation.parse("\(fake.origin)/display/HB")
            let (client, space) = try await ConfluenceClient.connect(
                to: location, credentials: .personalAccessToken(Self.pat), governor: RateGovernor(configuration: .fast()))
            #expect(client.site.flavor == .dataCenter)
            try await fake.resetStats()
            let pages = try await client.pages(in: space).collect()
            let byKind = try #require(try await fake.stats()["byKind"] as? [String: Int])
            #expect(byKind == ["dc.content": 1])
            #expect(pages.allSatisfy { $0.labels != nil && $0.lastModified != nil })
            let runbook = try #require(pages.first { $0.title == "On-call Runbook" })
            #expect(Set(runbook.labels?.compactMap(\.displayName) ?? []) == ["runbook", "oncall"])
            let probe = try #require(pages.first)
            #expect(Set(probe.labels ?? []) == Set(try await client.labels(pageId: probe.id)))

            let labelled = try await client.labelledContent(cql: "type = page and space = \"HB\" and label in (\"runbook\")").collect()
            let carrying = pages.filter { $0.labels?.contains { $0.name == "runbook" } == true }
            #expect(!carrying.isEmpty && Set(labelled.map(\.id)) == Set(carrying.map(\.id)))
            for page in carrying {
                #expect(Set(labelled.first { $0.id == page.id }?.labels ?? []) == Set(page.labels ?? []), "\(page.id)")
            }

            // Data Center has no listing of labels in use; it says so rather than answering empty.
            await #expect(throws: ConfluenceError.self) { _ = try await client.contentLabels(in: space).collect() }
        }
    }
}

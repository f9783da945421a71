import FakeConfluenceSupport
import Foundation
import HTTP
import Testing
@testable import Confluence

@Suite("Confluence Data Center against the fake")
struct DataCenterTests {
    static let pat = "MzA5NTQ4-dc-pat-for-tests"

    @Test func offsetPagingSurvivesALimitCapAndTheOvershootBug() async throws {
        let args = ["--mode", "dc", "--context-path", "/confluence", "--generate", "600", "--pat", Self.pat,
                    "--dc-limit-cap", "100", "--dc-overshoot-bug"]
        try await FakeConfluence.with(args) { fake in
            let location = try SpaceLocation.parse("\(fake.origin)/confluence/display/GEN/Some+Page")
            #expect(location.site.flavor == .dataCenter)
            let (client, space) = try await ConfluenceClient.connect(
                to: location, credentials: .personalAccessToken(Self.pat), governor: RateGovernor(configuration: .fast()))
            #expect(space.key == "GEN")

            var ids: [String] = []
            for try await batch in client.pages(in: space, statuses: [.current, .archived], includeLabels: true) {
                #expect(batch.count <= 100)  // the server capped our 250 silently
                #expect(batch.allSatisfy { $0.storageBody == nil && $0.labels != nil })
                ids += batch.map(\.id)
            }
            #expect(Set(ids).count == ids.count, "no page twice")
            #expect(ids.count > 550)
            let byKind = try #require(try await fake.stats()["byKind"] as? [String: Int])
            #expect(byKind["dc.content"] == (ids.count + 99) / 100)

            // Without the cap and the bug, the same listing is the ground truth.
            try await fake.setFaults(#"{"dcLimitCap": 0, "dcOvershootBug": false}"#)
            let clean = try await client.pages(in: space, statuses: [.current, .archived]).collect().map(\.id)
            #expect(ids == clean)

            // Bodies by id: CQL `id in (…)` in chunks, order kept.
            let wanted = Array(ids.prefix(150))
            let bodies = try await client.pages(ids: wanted)
            #expect(bodies.map(\.id) == wanted)
            #expect(bodies.allSatisfy { $0.storageBody?.isEmpty == false && $0.spaceId == space.id })

            let child = try #require(bodies.first { $0.parentId != nil })
            #expect(try await client.ancestors(pageId: child.id).last == child.parentId)
            #expect(try await client.spaceKey(forPageId: child.id) == "GEN")
        }
    }

    @Test("Listing with bodies on Data Center: expand=body.storage with labels, under a limit cap, the same bodies as by id")
    func listingWithBodies() async throws {
        let args = ["--mode", "dc", "--context-path", "/confluence", "--generate", "300", "--pat", Self.pat, "--dc-limit-cap", "100"]
        try await FakeConfluence.with(args) { fake in
            let location = try SpaceLocation.parse("\(fake.origin)/confluence/display/GEN/Some+Page")
            let (client, space) = try await ConfluenceClient.connect(
                to: location, credentials: .personalAccessToken(Self.pat), governor: RateGovernor(configuration: .fast()))
            let listed = try await client.pages(in: space, statuses: [.current], includeLabels: true, bodies: true).collect()
            #expect(listed.count > 250)
            #expect(listed.allSatisfy { $0.storageBody?.isEmpty == false && $0.labels != nil })
            let byId = try await client.pages(ids: Array(listed.prefix(50).map(\.id)))
            #expect(byId.map(\.id) == listed.prefix(50).map(\.id))
            for (page, fetched) in zip(listed.prefix(50), byId) {
                #expect(page.version == fetched.version && page.storageBody == fetched.storageBody && page.title == fetched.title)
            }
        }
    }

    @Test func wikiPathOnDataCenterIsDetectedAsDataCenter() async throws {
        let args = ["--mode", "dc", "--context-path", "/wiki", "--generate", "5", "--pat", Self.pat]
        try await FakeConfluence.with(args) { fake in
            let location = try SpaceLocation.parse("\(fake.origin)/wiki/spaces/GEN/overview")
            #expect(location.site.flavor == .cloud)  // by the path…
            let (client, _) = try await ConfluenceClient.connect(
                to: location, credentials: .personalAccessToken(Self.pat), governor: RateGovernor(configuration: .fast()))
            #expect(client.site.flavor == .dataCenter)  // …but the API says otherwise
            #expect(client.site.contextPath == "/wiki")
        }
    }

    @Test func viewpageURLResolvesTheSpace() async throws {
        try await FakeConfluence.with(["--mode", "dc", "--generate", "5", "--pat", Self.pat]) { fake in
            let listing = try SpaceLocation.parse("\(fake.origin)/display/GEN")
            let (client, space) = try await ConfluenceClient.connect(
                to: listing, credentials: .personalAccessToken(Self.pat), governor: RateGovernor(configuration: .fast()))
            let pageId = try #require(try await client.pages(in: space).collect().first?.id)
            let byPage = try SpaceLocation.parse("\(fake.origin)/pages/viewpage.action?pageId=\(pageId)")
            #expect(byPage.spaceKey == nil)
            let (_, resolved) = try await ConfluenceClient.connect(
                to: byPage, credentials: .personalAccessToken(Self.pat), governor: RateGovernor(configuration: .fast()))
            #expect(resolved.key == "GEN")
        }
    }
}

import FakeConfluenceSupport
import Foundation
import HTTP
import Testing
@testable import Confluence

@Suite("Confluence Cloud against the fake")
struct CloudSyncTests {
    static let email = "sync-bot@example.com"
    static let token = "ATATT3xFfGF0-cloud-secret-token"

    func connect(_ fake: FakeConfluence, key: String = "GEN", governor: RateGovernor,
                 options: ConfluenceClient.Options = .init()) async throws -> (ConfluenceClient, Space) {
        let location = try SpaceLocation.parse("\(fake.origin)/wiki/spaces/\(key)/overview")
        return try await ConfluenceClient.connect(
            to: location, credentials: .apiToken(email: Self.email, token: Self.token), governor: governor, options: options)
    }

    @Test func fullListingUnderRateLimitAndInjectedFailures() async throws {
        let args = ["--generate", "2000", "--seed", "7", "--email", Self.email, "--token", Self.token,
                    "--rate-limit", "40", "--fail-rate", "0.05", "--fail-retry-after", "0"]
        try await FakeConfluence.with(args) { fake in
            let governor = RateGovernor(configuration: .fast(rate: 36))
            let (client, space) = try await connect(fake, governor: governor, options: .init(pageLimit: 50))
            #expect(client.site.flavor == .cloud)
            #expect(space.key == "GEN")

            // Every listable status, so the listing covers the whole space (drafts are not listed).
            let statuses: Set<PageStatus> = [.current, .archived, .trashed, .deleted]
            var ids: [String] = []
            var batches = 0
            for try await batch in client.pages(in: space, statuses: statuses) {
                batches += 1
                #expect(batch.count <= 50)
                #expect(batch.allSatisfy { $0.storageBody == nil && $0.spaceId == space.id && $0.version >= 1 })
                ids += batch.map(\.id)
            }
            #expect(Set(ids).count == ids.count, "no page twice")
            #expect(ids.count > 1900)
            #expect(batches == (ids.count + 49) / 50)

            // The same listing without faults is the ground truth: nothing lost, nothing added.
            try await fake.setFaults(#"{"failRate": 0, "rateLimit": 0}"#)
            let clean = try await client.pages(in: space, statuses: statuses).collect().map(\.id)
            #expect(ids == clean)
            try await fake.setFaults(#"{"failRate": 0.05, "rateLimit": 40}"#)

            let bodies = try await client.pages(ids: ids, statuses: statuses)
            #expect(bodies.map(\.id) == ids)
            #expect(bodies.allSatisfy { ($0.storageBody?.isEmpty == false) })

            let stats = try await fake.stats()
            let injected = try #require(stats["injectedFailures"] as? Int)
            #expect(injected > 0, "the seed should inject some failures")
            #expect(await governor.statistics.serverErrors == injected)
        }
    }

    @Test func defaultPageSizeNeedsFourRequestsPerThousandPages() async throws {
        try await FakeConfluence.with(["--generate", "1000", "--email", Self.email, "--token", Self.token]) { fake in
            let governor = RateGovernor(configuration: .fast())
            let (client, space) = try await connect(fake, governor: governor)
            let pages = try await client.pages(in: space).collect()
            #expect(pages.count >= 900)  // current pages only; the generator archives a few
            let stats = try await fake.stats()
            let byKind = try #require(stats["byKind"] as? [String: Int])
            #expect(byKind["v2.space_pages"] == 4)
            let sample = try #require(pages.first)
            #expect(sample.webui?.hasPrefix("/spaces/GEN/pages/") == true)
            #expect(sample.createdAt != nil && sample.lastModified != nil)
        }
    }

    @Test("Listing with bodies: ⌈N/250⌉ requests, every page with its storage body, the same pages and versions as by id")
    func listingWithBodies() async throws {
        try await FakeConfluence.with(["--generate", "600", "--seed", "4", "--email", Self.email, "--token", Self.token]) { fake in
            let governor = RateGovernor(configuration: .fast())
            let (client, space) = try await connect(fake, governor: governor)
            try await fake.resetStats()
            let listed = try await client.pages(in: space, bodies: true).collect()
            let byKind = try #require(try await fake.stats()["byKind"] as? [String: Int])
            #expect(byKind["v2.space_pages"] == (listed.count + 249) / 250)
            #expect(byKind.values.reduce(0, +) == byKind["v2.space_pages"], "no other request: \(byKind)")
            #expect(listed.count > 500)
            #expect(listed.allSatisfy { $0.storageBody?.isEmpty == false })
            let byId = try await client.pages(ids: Array(listed.prefix(120).map(\.id)), statuses: [.current])
            for (page, fetched) in zip(listed.prefix(120), byId) {
                #expect(page.id == fetched.id && page.version == fetched.version && page.storageBody == fetched.storageBody)
                #expect(page.title == fetched.title && page.webui == fetched.webui && page.lastModified == fetched.lastModified)
            }
            // Without bodies, the listing carries none.
            #expect(try await client.pages(in: space).collect().allSatisfy { $0.storageBody == nil })
        }
    }

    @Test func labelsAncestorsBodiesAndSearch() async throws {
        try await FakeConfluence.with(["--generate", "300", "--email", Self.email, "--token", Self.token]) { fake in
            let governor = RateGovernor(configuration: .fast())
            let (client, space) = try await connect(fake, governor: governor, options: .init(pageLimit: 40, idsPerRequest: 120))
            let pages = try await client.pages(in: space).collect()
            let deep = try #require(pages.first { $0.parentId != nil })
            let ancestors = try await client.ancestors(pageId: deep.id)
            #expect(ancestors.last == deep.parentId)

            let labelled = try await withThrowingTaskGroup(of: Int.self) { group in
                for page in pages.prefix(30) { group.addTask { try await client.labels(pageId: page.id).count } }
                return try await group.reduce(0, +)
            }
            #expect(labelled > 0)

            // 300 ids at 120 per request: three requests, all pages back, in order.
            let ids = pages.map(\.id)
            let bodies = try await client.pages(ids: ids)
            #expect(bodies.map(\.id) == ids)

            let found = try await client.search(cql: "type=page and space=\"GEN\"").collect()
            #expect(Set(found.map(\.id)) == Set(pages.filter { $0.status == .current }.map(\.id)))
            #expect(found.count == Set(found.map(\.id)).count)
        }
    }

    @Test func pageURLWithoutSpaceKeyIsResolved() async throws {
        try await FakeConfluence.with(["--generate", "20", "--email", Self.email, "--token", Self.token]) { fake in
            let governor = RateGovernor(configuration: .fast())
            let location = try SpaceLocation.parse("\(fake.origin)/wiki/spaces/GEN/overview")
            let (client, space) = try await ConfluenceClient.connect(
                to: location, credentials: .apiToken(email: Self.email, token: Self.token), governor: governor)
            let homepage = try #require(space.homepageId)
            #expect(try await client.spaceKey(forPageId: homepage) == "GEN")
        }
    }
}

import FakeConfluenceSupport
import Foundation
import HTTP
import Testing
@testable import Confluence

@Suite("Listing every space of a site, on both flavors")
struct SpaceListingTests {
    static let email = "lister@example.com"
    static let token = "ATATT3xFfGF0-space-listing-token"
    static let pat = "MzA5NTQ4-dc-space-listing-pat"

    /// GEN (generated) plus OPS (generated), a personal space, an archived one and a hidden one.
    static func addSpaces(_ fake: FakeConfluence, personal: String) async throws {
        try await fake.createSpace(key: "OPS", generate: 5, seed: 2)
        try await fake.createSpace(key: personal, type: "personal")
        try await fake.createSpace(key: "OLD", status: "archived")
        try await fake.createSpace(key: "HIDDEN")
        try await fake.updateSpace("HIDDEN", visible: false)
    }

    @Test func cloudListsEverySpaceOnceAcrossPages() async throws {
        try await FakeConfluence.with(["--generate", "20", "--email", Self.email, "--token", Self.token]) { fake in
            try await Self.addSpaces(fake, personal: "~alice")
            let location = try SpaceLocation.parse("\(fake.origin)/wiki", allowingSiteURL: true)
            #expect(location.isSiteOnly && location.site.flavor == .cloud)
            let client = try await ConfluenceClient.connect(
                toSite: location.site, credentials: .apiToken(email: Self.email, token: Self.token),
                governor: RateGovernor(configuration: .fast()), options: .init(pageLimit: 2))
            #expect(client.site.flavor == .cloud && client.site.contextPath == "/wiki")

            try await fake.resetStats()
            var batches: [[Space]] = []
            for try await batch in client.spaces() { batches.append(batch) }
            let spaces = batches.flatMap { $0 }
            #expect(spaces.map(\.key) == ["GEN", "OPS", "~alice"], "id order, current only, hidden absent")
            #expect(batches.count == 2 && batches.allSatisfy { $0.count <= 2 })
            #expect(spaces.first { $0.key == "~alice" }?.type == "personal")
            #expect(spaces.allSatisfy { $0.status == "current" && !$0.id.isEmpty })
            let byKind = try #require(try await fake.stats()["byKind"] as? [String: Int])
            #expect(byKind["v2.spaces"] == 2)

            let withArchived = try await client.spaces(includeArchived: true).collect().map(\.key)
            #expect(Set(withArchived) == ["GEN", "OPS", "~alice", "OLD"])
            #expect(withArchived.count == 4)
            // The spaces listed are usable as they are.
            let ops = try #require(spaces.first { $0.key == "OPS" })
            #expect(try await client.pages(in: ops).collect().count >= 4)
        }
    }

    @Test func siteURLWithoutWikiFallsBackToCloud() async throws {
        try await FakeConfluence.with(["--generate", "3", "--email", Self.email, "--token", Self.token]) { fake in
            let location = try SpaceLocation.parse(fake.origin, allowingSiteURL: true)
            #expect(location.site.flavor == .dataCenter)  // by the path…
            let client = try await ConfluenceClient.connect(
                toSite: location.site, credentials: .apiToken(email: Self.email, token: Self.token),
                governor: RateGovernor(configuration: .fast()))
            #expect(client.site.flavor == .cloud && client.site.contextPath == "/wiki")  // …the API says Cloud
            #expect(try await client.spaces().collect().map(\.key) == ["GEN"])

            // Wrong credentials fail at connect, without the secret in the message.
            let error = await #expect(throws: ConfluenceError.self) {
                _ = try await ConfluenceClient.connect(
                    toSite: location.site, credentials: .apiToken(email: Self.email, token: "wrong-\(Self.token)"),
                    governor: RateGovernor(configuration: .fast()))
            }
            #expect(error?.kind == .badCredentials)
            #expect(error.map { !leaks($0.message, ["wrong-\(Self.token)"]) } == true)
        }
    }

    @Test func dataCenterListsEverySpaceOnceDespiteALimitCap() async throws {
        let args = ["--mode", "dc", "--context-path", "/confluence", "--generate", "10", "--pat", Self.pat, "--dc-limit-cap", "2"]
        try await FakeConfluence.with(args) { fake in
            try await Self.addSpaces(fake, personal: "~bob")
            try await fake.createSpace(key: "ZED")
            for url in ["\(fake.origin)/confluence", "\(fake.origin)/confluence/", "\(fake.origin)/confluence/dashboard.action"] {
                let location = try SpaceLocation.parse(url, allowingSiteURL: true)
                #expect(location.isSiteOnly && location.site.flavor == .dataCenter && location.site.contextPath == "/confluence", "\(url)")
            }
            let location = try SpaceLocation.parse("\(fake.origin)/confluence", allowingSiteURL: true)
            let client = try await ConfluenceClient.connect(
                toSite: location.site, credentials: .personalAccessToken(Self.pat),
                governor: RateGovernor(configuration: .fast()), options: .init(pageLimit: 3))
            #expect(client.site.flavor == .dataCenter)

            try await fake.resetStats()
            var batches: [[Space]] = []
            for try await batch in client.spaces() { batches.append(batch) }
            let keys = batches.flatMap { $0 }.map(\.key)
            // The server capped 3 to 2 and its next link skips; the client's offsets do not.
            #expect(keys == ["GEN", "OPS", "ZED", "~bob"])
            #expect(batches.allSatisfy { $0.count <= 2 })
            let byKind = try #require(try await fake.stats()["byKind"] as? [String: Int])
            #expect(byKind["dc.spaces"] == 2)

            let withArchived = try await client.spaces(includeArchived: true).collect().map(\.key)
            #expect(withArchived == ["GEN", "OLD", "OPS", "ZED", "~bob"])

            // A wrong PAT is anonymous on Data Center: it sees no space, it is not rejected.
            let anonymous = try await ConfluenceClient.connect(
                toSite: location.site, credentials: .personalAccessToken("not-the-pat"), governor: RateGovernor(configuration: .fast()))
            #expect(try await anonymous.spaces().collect().isEmpty)
        }
    }

    @Test func wikiSiteURLOnDataCenterIsDetectedAsDataCenter() async throws {
        try await FakeConfluence.with(["--mode", "dc", "--context-path", "/wiki", "--generate", "3", "--pat", Self.pat]) { fake in
            let location = try SpaceLocation.parse("\(fake.origin)/wiki", allowingSiteURL: true)
            #expect(location.site.flavor == .cloud)
            let client = try await ConfluenceClient.connect(
                toSite: location.site, credentials: .personalAccessToken(Self.pat), governor: RateGovernor(configuration: .fast()))
            #expect(client.site.flavor == .dataCenter && client.site.contextPath == "/wiki")
            #expect(try await client.spaces().collect().map(\.key) == ["GEN"])
        }
    }

    @Test func notConfluenceAtAllSaysSo() async throws {
        try await CannedServer.with(status: 404, contentType: "text/html", body: "<html>nope</html>") { server in
            let location = try SpaceLocation.parse(server.origin + "/wiki", allowingSiteURL: true)
            let error = await #expect(throws: ConfluenceError.self) {
                _ = try await ConfluenceClient.connect(
                    toSite: location.site, credentials: .personalAccessToken(Self.pat), governor: RateGovernor(configuration: .fast()))
            }
            #expect(error?.kind == .notConfluence)
        }
    }

    @Test(arguments: [
        ("https://acme.atlassian.net/wiki", ConfluenceFlavor.cloud, "/wiki"),
        ("https://acme.atlassian.net/wiki/", .cloud, "/wiki"),
        ("https://acme.atlassian.net/wiki/home", .cloud, "/wiki"),
        ("https://api.atlassian.com/ex/confluence/0a1b-2c3d/wiki", .cloud, "/ex/confluence/0a1b-2c3d/wiki"),
        ("https://acme.atlassian.net", .dataCenter, ""),
        ("https://confluence.example.com/", .dataCenter, ""),
        ("https://example.com/confluence/dashboard.action", .dataCenter, "/confluence"),
        ("https://acme.atlassian.net/wiki/spaces/ENG", .cloud, "/wiki"),
    ])
    func siteURLsParse(url: String, flavor: ConfluenceFlavor, context: String) throws {
        let location = try SpaceLocation.parse(url, allowingSiteURL: true)
        #expect(location.site.flavor == flavor)
        #expect(location.site.contextPath == context)
        #expect(location.isSiteOnly == !url.contains("/spaces/"))
        // Where a space is expected, a site URL is still refused.
        if location.isSiteOnly {
            #expect(throws: ConfluenceError.self) { try SpaceLocation.parse(url) }
        }
    }
}

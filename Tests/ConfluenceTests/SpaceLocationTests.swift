import Testing
@testable import Confluence

@Suite("Parsing pasted URLs")
struct SpaceLocationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let url: String
        let flavor: ConfluenceFlavor
        let origin: String
        let context: String
        let key: String?
        let pageId: String?
        var testDescription: String { url }
    }

    @Test(arguments: [
        Case(url: "https://acme.atlassian.net/wiki/spaces/ENG", flavor: .cloud, origin: "https://acme.atlassian.net", context: "/wiki", key: "ENG", pageId: nil),
        Case(url: "https://acme.atlassian.net/wiki/spaces/ENG/overview", flavor: .cloud, origin: "https://acme.atlassian.net", context: "/wiki", key: "ENG", pageId: nil),
        Case(url: "https://acme.atlassian.net/wiki/spaces/ENG/overview?homepageId=123", flavor: .cloud, origin: "https://acme.atlassian.net", context: "/wiki", key: "ENG", pageId: nil),
        Case(url: "https://acme.atlassian.net/wiki/spaces/ENG/pages/98765/Runbook+One", flavor: .cloud, origin: "https://acme.atlassian.net", context: "/wiki", key: "ENG", pageId: "98765"),
        Case(url: "  acme.atlassian.net/wiki/spaces/OPS/  ", flavor: .cloud, origin: "https://acme.atlassian.net", context: "/wiki", key: "OPS", pageId: nil),
        Case(url: "https://acme.atlassian.net/wiki/spaces/~712020abc/overview", flavor: .cloud, origin: "https://acme.atlassian.net", context: "/wiki", key: "~712020abc", pageId: nil),
        Case(url: "https://acme.atlassian.net/wiki/display/ENG/Old+Link", flavor: .cloud, origin: "https://acme.atlassian.net", context: "/wiki", key: "ENG", pageId: nil),
        Case(url: "http://127.0.0.1:8090/wiki/spaces/GEN/overview", flavor: .cloud, origin: "http://127.0.0.1:8090", context: "/wiki", key: "GEN", pageId: nil),
        Case(url: "https://api.atlassian.com/ex/confluence/0a1b-2c3d/wiki/spaces/ENG", flavor: .cloud, origin: "https://api.atlassian.com", context: "/ex/confluence/0a1b-2c3d/wiki", key: "ENG", pageId: nil),
        Case(url: "https://confluence.example.com/display/KEY", flavor: .dataCenter, origin: "https://confluence.example.com", context: "", key: "KEY", pageId: nil),
        Case(url: "https://confluence.example.com/display/KEY/Page+Title", flavor: .dataCenter, origin: "https://confluence.example.com", context: "", key: "KEY", pageId: nil),
        Case(url: "https://example.com/confluence/display/KEY/Page+Title", flavor: .dataCenter, origin: "https://example.com", context: "/confluence", key: "KEY", pageId: nil),
        Case(url: "https://example.com:8443/confluence/spaces/viewspace.action?key=KEY", flavor: .dataCenter, origin: "https://example.com:8443", context: "/confluence", key: "KEY", pageId: nil),
        Case(url: "https://confluence.example.com/pages/viewpage.action?pageId=4242", flavor: .dataCenter, origin: "https://confluence.example.com", context: "", key: nil, pageId: "4242"),
        Case(url: "https://confluence.example.com/pages/viewpage.action?spaceKey=DOC&title=Home", flavor: .dataCenter, origin: "https://confluence.example.com", context: "", key: "DOC", pageId: nil),
        Case(url: "http://localhost:8090/display/DEV", flavor: .dataCenter, origin: "http://localhost:8090", context: "", key: "DEV", pageId: nil),
        Case(url: "HTTPS://Confluence.Example.COM/display/KEY", flavor: .dataCenter, origin: "https://confluence.example.com", context: "", key: "KEY", pageId: nil),
    ])
    func accepted(_ example: Case) throws {
        let location = try SpaceLocation.parse(example.url)
        #expect(location.site.flavor == example.flavor)
        #expect(location.site.origin == example.origin)
        #expect(location.site.contextPath == example.context)
        #expect(location.spaceKey == example.key)
        #expect(location.pageId == example.pageId)
    }

    @Test(arguments: [
        "",
        "not a url at all",
        "ftp://acme.atlassian.net/wiki/spaces/ENG",
        "https://acme.atlassian.net/",
        "https://acme.atlassian.net/wiki",
        "https://acme.atlassian.net/wiki/spaces/",
        "https://acme.atlassian.net/wiki/x/AbCd",
        "https://confluence.example.com/some/other/page",
        "https://confluence.example.com/display/",
        "https://confluence.example.com/display/BAD$KEY",
        "https://confluence.example.com/pages/viewpage.action?pageId=abc",
    ])
    func rejectedWithAnExample(_ url: String) {
        let error = #expect(throws: ConfluenceError.self) { try SpaceLocation.parse(url) }
        #expect(error?.kind == .invalidURL)
        #expect(error?.message.contains("https://example.atlassian.net/wiki/spaces/ENG/overview") == true)
    }

    @Test func plainHTTPOnlyForLoopbackOrWhenAllowed() throws {
        let error = #expect(throws: ConfluenceError.self) { try SpaceLocation.parse("http://confluence.example.com/display/KEY") }
        #expect(error?.kind == .insecureURL)
        #expect(try SpaceLocation.parse("http://confluence.example.com/display/KEY", allowInsecureHTTP: true).site.scheme == "http")
        #expect(try SpaceLocation.parse("http://127.0.0.1:1/display/KEY").site.isLoopback)
        #expect(try SpaceLocation.parse("http://[::1]:8080/display/KEY").site.host == "[::1]")
    }

    @Test func credentialsInAPastedURLAreNotEchoed() {
        let error = #expect(throws: ConfluenceError.self) {
            try SpaceLocation.parse("https://me:hunter2@acme.atlassian.net/wiki/x/Ab")
        }
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func siteURLs() throws {
        let site = try SpaceLocation.parse("https://example.com/confluence/display/KEY").site
        #expect(site.baseURL == "https://example.com/confluence")
        #expect(site.restV1 == "https://example.com/confluence/rest/api")
        #expect(site.webURL("/display/KEY/Home") == "https://example.com/confluence/display/KEY/Home")
    }
}

import Testing
import HTTP
@testable import Confluence

@Suite("Following next links")
struct NextLinkTests {
    let cloud = ConfluenceSite(flavor: .cloud, scheme: "https", host: "acme.atlassian.net", contextPath: "/wiki")
    let dc = ConfluenceSite(flavor: .dataCenter, scheme: "https", host: "example.com", contextPath: "/confluence")

    @Test func v2JoinsTheOrigin() throws {
        #expect(try NextLink.v2("/wiki/api/v2/spaces/1/pages?cursor=abc", site: cloud)
            == "https://acme.atlassian.net/wiki/api/v2/spaces/1/pages?cursor=abc")
    }

    @Test func v2ThroughTheGatewayKeepsItsPrefix() throws {
        let gateway = ConfluenceSite(flavor: .cloud, scheme: "https", host: "api.atlassian.com", contextPath: "/ex/confluence/abc/wiki")
        #expect(try NextLink.v2("/wiki/api/v2/pages?cursor=q", site: gateway)
            == "https://api.atlassian.com/ex/confluence/abc/wiki/api/v2/pages?cursor=q")
        #expect(try NextLink.v1("/rest/api/content/search?cursor=q", base: "https://acme.atlassian.net/wiki", site: gateway)
            == "https://api.atlassian.com/ex/confluence/abc/wiki/rest/api/content/search?cursor=q")
    }

    @Test func v1JoinsThePathOfBase() throws {
        #expect(try NextLink.v1("/rest/api/content/search?cursor=x&next=true", base: "https://acme.atlassian.net/wiki", site: cloud)
            == "https://acme.atlassian.net/wiki/rest/api/content/search?cursor=x&next=true")
        #expect(try NextLink.v1("/rest/api/content?start=25", base: nil, site: dc)
            == "https://example.com/confluence/rest/api/content?start=25")
    }

    @Test func linksToAnotherHostAreRefused() {
        let error = #expect(throws: ConfluenceError.self) {
            try NextLink.v2("https://evil.example/wiki/api/v2/pages?cursor=1", site: cloud)
        }
        #expect(error?.kind == .unexpectedResponse)
    }

    @Test func linkHeaderWithCommasInsideTheURL() {
        let headers: HTTPHeaders = ["Link": "</wiki/api/v2/pages?id=1,2,3&cursor=z>; rel=\"next\", <https://acme.atlassian.net/wiki>; rel=\"base\""]
        #expect(NextLink.fromLinkHeader(headers) == "/wiki/api/v2/pages?id=1,2,3&cursor=z")
        #expect(NextLink.fromLinkHeader(["Link": "<https://acme.atlassian.net/wiki>; rel=\"base\""]) == nil)
    }

    @Test func startIsReplacedAndOtherParametersKept() {
        let url = NextLink.settingStart("https://h/rest/api/content?spaceKey=A&limit=250&start=250&expand=version,ancestors", to: 100)
        #expect(url.contains("spaceKey=A"))
        #expect(url.contains("expand=version,ancestors"))
        #expect(NextLink.intParameter("start", in: url) == 100)
        #expect(!url.contains("start=250"))
    }
}

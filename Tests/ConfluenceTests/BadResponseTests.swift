import Foundation
import HTTP
import Testing
@testable import Confluence

/// Issue #13 defect 8: an answer that is not the API (HTML, invalid JSON, cut short, too large)
/// is a bad response, and a redirect elsewhere is a redirect, not "unreachable" or a missing space.
@Suite("Bad responses and redirects")
struct BadResponseTests {
    static let token = "ATATT-bad-response-secret-1"

    static func site(_ origin: String, _ flavor: ConfluenceFlavor) -> ConfluenceSite {
        let port = Int(origin.split(separator: ":").last ?? "1")
        return ConfluenceSite(flavor: flavor, scheme: "http", host: "127.0.0.1", port: port, contextPath: flavor == .cloud ? "/wiki" : "")
    }

    /// The error of looking up space ENG, or nil.
    static func spaceError(_ origin: String, _ flavor: ConfluenceFlavor, maxResponseBytes: Int = 1 << 20) async -> ConfluenceError? {
        let client = ConfluenceClient(
            site: site(origin, flavor), credentials: .apiToken(email: "e@x.io", token: token),
            governor: RateGovernor(configuration: .fast(maxRetries: 1, maxThrottleRetries: 1)),
            options: .init(maxResponseBytes: maxResponseBytes))
        do {
            _ = try await client.space(key: "ENG")
            return nil
        } catch {
            return error
        }
    }

    @Test("an HTML page with status 200 is a bad response", arguments: [ConfluenceFlavor.cloud, .dataCenter])
    func htmlIsABadResponse(flavor: ConfluenceFlavor) async throws {
        try await CannedServer.with(status: 200, contentType: "text/html", body: "<html><body>Sign in</body></html>") { server in
            let error = try #require(await Self.spaceError(server.origin, flavor))
            #expect(error.kind == .unexpectedResponse && error.isBadResponse)
            #expect(error.message.contains("HTML"))
        }
    }

    @Test("invalid JSON is a bad response", arguments: [ConfluenceFlavor.cloud, .dataCenter])
    func invalidJSONIsABadResponse(flavor: ConfluenceFlavor) async throws {
        try await CannedServer.with(status: 200, contentType: "application/json", body: "{\"key\": \"ENG\", oops") { server in
            let error = try #require(await Self.spaceError(server.origin, flavor))
            #expect(error.isBadResponse, "\(error.kind)")
            #expect(error.message.contains("malformed JSON"))
        }
    }

    @Test("a body shorter than its Content-Length is a truncated response, not an unreachable site",
          arguments: [ConfluenceFlavor.cloud, .dataCenter])
    func truncatedBody(flavor: ConfluenceFlavor) async throws {
        try await CannedServer.with(status: 200, contentType: "application/json", body: "{\"results\": [", announcedLength: 400) { server in
            let error = try #require(await Self.spaceError(server.origin, flavor))
            #expect(error.kind == .truncatedResponse && error.isBadResponse, "\(error.kind): \(error.message)")
            #expect(error.message.contains("ended before the length it announced"))
        }
    }

    @Test("an answer over the size cap is a bad response", arguments: [ConfluenceFlavor.cloud, .dataCenter])
    func oversized(flavor: ConfluenceFlavor) async throws {
        let body = "{\"key\": \"ENG\", \"padding\": \"" + String(repeating: "x", count: 5_000) + "\"}"
        try await CannedServer.with(status: 200, contentType: "application/json", body: body) { server in
            let error = try #require(await Self.spaceError(server.origin, flavor, maxResponseBytes: 1_000))
            #expect(error.kind == .responseTooLarge && error.isBadResponse, "\(error.kind)")
        }
    }

    @Test("a redirect to another host that answers an empty listing (Cloud) or a 404 (Data Center) is a redirect",
          arguments: [ConfluenceFlavor.cloud, .dataCenter])
    func redirectToAnotherHost(flavor: ConfluenceFlavor) async throws {
        let (status, body) = flavor == .cloud
            ? (200, #"{"results": [], "_links": {}}"#)
            : (404, #"{"statusCode": 404, "message": "No space with key : ENG"}"#)
        try await CannedServer.with(status: status, contentType: "application/json", body: body) { other in
            // Userinfo in the Location must not reach the message.
            let target = other.origin.replacingOccurrences(of: "://", with: "://joe:hunter22@") + "/moved/api"
            try await CannedServer.with(status: 302, contentType: "text/plain", body: "", headers: ["Location": target]) { server in
                let error = try #require(await Self.spaceError(server.origin, flavor))
                #expect(error.kind == .redirected, "\(error.kind): \(error.message)")
                #expect(!error.isBadResponse)
                #expect(error.message.contains(other.origin + "/moved/api"), "says where it went: \(error.message)")
                #expect(!error.message.contains("hunter22") && !error.message.contains(Self.token))
            }
        }
    }

    @Test("a redirect loop is a redirect")
    func redirectLoop() async throws {
        try await CannedServer.with(status: 302, contentType: "text/plain", body: "", headers: ["Location": "/login.action"]) { server in
            let error = try #require(await Self.spaceError(server.origin, .cloud))
            #expect(error.kind == .redirected, "\(error.kind): \(error.message)")
        }
    }

    @Test("only another host, port or path counts as elsewhere")
    func elsewhere() {
        let from = "http://wiki.example.com/wiki/api/v2/spaces?keys=ENG"
        #expect(!ErrorClassifier.leftEndpoint(requested: from, final: "https://wiki.example.com/wiki/api/v2/spaces?keys=ENG"))
        #expect(!ErrorClassifier.leftEndpoint(requested: from, final: "http://WIKI.example.com/wiki/api/v2/spaces?cursor=x"))
        #expect(ErrorClassifier.leftEndpoint(requested: from, final: "https://other.example.com/wiki/api/v2/spaces"))
        #expect(ErrorClassifier.leftEndpoint(requested: from, final: "http://wiki.example.com:8090/wiki/api/v2/spaces"))
        #expect(ErrorClassifier.leftEndpoint(requested: from, final: "http://wiki.example.com/login.action?os_destination=x"))
    }
}

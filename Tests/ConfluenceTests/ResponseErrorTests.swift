import Foundation
import HTTP
import Logging
import LogTestSupport
import Testing
@testable import Confluence

@Suite("Unexpected responses and outages")
struct ResponseErrorTests {
    static let token = "ATATT-never-show-me-000"

    func spaceError(_ origin: String, configuration: RateGovernor.Configuration = .fast(maxRetries: 2, maxThrottleRetries: 2))
        async -> (ConfluenceError?, RateGovernor) {
        let governor = RateGovernor(configuration: configuration)
        let site = ConfluenceSite(flavor: .cloud, scheme: "http", host: "127.0.0.1", port: Int(origin.split(separator: ":").last ?? "1"), contextPath: "/wiki")
        let client = ConfluenceClient(site: site, credentials: .apiToken(email: "e@x.io", token: Self.token), governor: governor)
        do {
            _ = try await client.space(key: "ENG")
            return (nil, governor)
        } catch {
            return (error, governor)
        }
    }

    @Test func malformedJSONIsAClearError() async throws {
        try await CannedServer.with(status: 200, contentType: "application/json", body: #"{"results": [{"id": "#) { server in
            let (error, _) = await spaceError(server.origin)
            let found = try #require(error)
            #expect(found.kind == .unexpectedResponse)
            #expect(found.message.contains("malformed JSON"))
            #expect(!found.message.contains(Self.token))
        }
    }

    @Test func wrongShapeNamesTheField() async throws {
        try await CannedServer.with(status: 200, contentType: "application/json", body: #"{"results": [{"name": "x"}]}"#) { server in
            let found = try #require(await spaceError(server.origin).0)
            #expect(found.kind == .unexpectedResponse)
            #expect(found.message.contains("missing “id”"))
        }
    }

    @Test func htmlLoginPageIsRecognised() async throws {
        try await CannedServer.with(status: 200, contentType: "text/html", body: "<html><body>Log in</body></html>") { server in
            let found = try #require(await spaceError(server.origin).0)
            #expect(found.kind == .unexpectedResponse)
            #expect(found.message.contains("HTML"))
        }
    }

    @Test func persistentServerErrorsBecomeUnavailableAfterBoundedRetries() async throws {
        try await CannedServer.with(status: 502, contentType: "text/html", body: "<html>Bad gateway</html>") { server in
            let (error, governor) = await spaceError(server.origin)
            let found = try #require(error)
            #expect(found.kind == .unavailable)
            #expect(found.status == 502)
            #expect(found.message.contains("status.atlassian.com"))
            #expect(await governor.statistics.serverErrors == 3)  // first try + 2 retries
        }
    }

    @Test func persistentThrottlingBecomesRateLimited() async throws {
        try await CannedServer.with(status: 429, contentType: "application/json", body: "{}", headers: ["Retry-After": "0"]) { server in
            let (error, governor) = await spaceError(server.origin)
            let found = try #require(error)
            #expect(found.kind == .rateLimited)
            #expect(found.message.contains("Lower the request rate"))
            #expect(await governor.statistics.throttled == 3)
        }
    }

    @Test func unreachableServer() async throws {
        let (error, _) = await spaceError("http://127.0.0.1:1")
        let found = try #require(error)
        #expect(found.kind == .unavailable)
        #expect(found.message.contains("could not be reached"))
    }

    @Test func serverTextQuotedInErrorsIsScrubbed() async throws {
        // A (hypothetical) proxy that echoes the credentials back in its 400 message.
        let blob = basicBlob("e@x.io", Self.token)
        try await CannedServer.with(status: 400, contentType: "text/plain", body: "bad header Basic \(blob) token \(Self.token)") { server in
            let found = try #require(await spaceError(server.origin).0)
            #expect(found.kind == .badRequest)
            #expect(!found.message.contains(Self.token))
            #expect(!found.message.contains(blob))
        }
    }
}

@Suite("Logs")
struct LogTests {
    @Test func retriesAreLoggedWithoutCredentials() async throws {
        let token = "ATATT-log-secret-42"
        let sink = LogCapture()
        let logger = sink.logger
        try await CannedServer.with(status: 503, contentType: "text/plain", body: "down") { server in
            let port = Int(server.origin.split(separator: ":").last ?? "1")
            let site = ConfluenceSite(flavor: .cloud, scheme: "http", host: "127.0.0.1", port: port, contextPath: "/wiki")
            let client = ConfluenceClient(
                site: site, credentials: .apiToken(email: "e@x.io", token: token),
                governor: RateGovernor(configuration: .fast(maxRetries: 2)), options: .init(logger: logger))
            await #expect(throws: ConfluenceError.self) { try await client.space(key: "ENG") }
        }
        let lines = sink.lines
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("status=503") && $0.contains("/wiki/api/v2/spaces") })
        #expect(!lines.contains { $0.contains(token) || $0.contains(basicBlob("e@x.io", token)) })
    }
}


import Foundation
import Testing
@testable import HTTP

@Suite("HTTPClient against a loopback server")
struct HTTPClientTests {
    let client = HTTPClient.shared

    @Test func headersStatusAndFinalURL() async throws {
        try await LoopbackServer.with { base in
            let response = try await client.send(HTTPRequest(url: base + "/hello"))
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.headers["content-type"] == "text/plain")
            #expect(response.headers.values(for: "X-MULTI") == ["one", "two"])
            #expect(response.retryAfter() == 7)
            #expect(response.finalURL == base + "/hello")
            #expect(response.httpVersion == "HTTP/1.1")
            #expect(response.redirectCount == 0)
        }
    }

    @Test func fiftyParallelRequests() async throws {
        try await LoopbackServer.with { base in
            let started = ContinuousClock.now
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await client.send(HTTPRequest(url: base + "/slow?ms=200")).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 50)
            #expect(statuses.allSatisfy { $0 == 200 })
            // Serially this takes 10 s; 8 connections per host bring it near 1.4 s.
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func keepAliveReusesTheConnection() async throws {
        try await LoopbackServer.with { base in
            var ports = Set<Int>()
            var connections: [Int] = []
            for _ in 0..<3 {
                let response = try await client.send(HTTPRequest(url: base + "/echo"))
                let json = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
                ports.insert(try #require(json?["port"] as? Int))
                connections.append(response.newConnections)
            }
            #expect(ports.count == 1)
            #expect(connections == [1, 0, 0])
        }
    }

    @Test func requestHeadersAndEncodingsAreSent() async throws {
        try await LoopbackServer.with { base in
            let request = HTTPRequest(url: base + "/echo", headers: ["Accept": "application/json", "X-Trace": "abc"])
            let response = try await client.send(request)
            let json = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
            let headers = try #require(json["headers"] as? [String: String])
            #expect(headers["accept"] == "application/json")
            #expect(headers["x-trace"] == "abc")
            #expect(headers["accept-encoding"]?.contains("gzip") == true)
            #expect(headers["user-agent"]?.hasPrefix("tributary/") == true)
        }
    }

    @Test func gzipBodiesAreDecoded() async throws {
        try await LoopbackServer.with { base in
            let response = try await client.send(HTTPRequest(url: base + "/gzip"))
            #expect(response.headers["content-encoding"] == "gzip")
            #expect(response.body.count == 13_000)
            #expect(response.text.hasPrefix("compressible compressible"))
        }
    }

    @Test func postSendsTheBody() async throws {
        try await LoopbackServer.with { base in
            let response = try await client.send(HTTPRequest(method: .post, url: base + "/echo-body", body: Array("ping".utf8)))
            #expect(response.status == 200)
            #expect(response.text == "ping")
        }
    }

    @Test func totalTimeout() async throws {
        try await LoopbackServer.with { base in
            let started = ContinuousClock.now
            let error = await #expect(throws: HTTPError.self) {
                try await client.send(HTTPRequest(url: base + "/slow?ms=3000", timeout: .milliseconds(400)))
            }
            #expect(error?.kind == .timedOut)
            #expect(error?.isTransient == true)
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }

    @Test func lowSpeedLimitDetectsAStall() async throws {
        try await LoopbackServer.with { base in
            let request = HTTPRequest(
                url: base + "/stall?ms=4000",
                lowSpeedLimit: .init(bytesPerSecond: 10, duration: .seconds(1)))
            let error = await #expect(throws: HTTPError.self) { try await client.send(request) }
            #expect(error?.kind == .stalled)
        }
    }

    @Test func connectFailureHidesCredentials() async throws {
        // Port 1 on loopback has no listener: the connection is refused at once.
        let error = await #expect(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "http://alice:s3cret@127.0.0.1:1/wiki?token=s3cret"))
        }
        #expect(error?.kind == .connectFailed)
        let text = error.map { String(describing: $0) } ?? ""
        #expect(text.contains("127.0.0.1:1"))
        #expect(!text.contains("s3cret"))
        #expect(!text.contains("alice"))
    }

    @Test func sizeCapWithAndWithoutContentLength() async throws {
        try await LoopbackServer.with { base in
            let small = try await client.send(HTTPRequest(url: base + "/big?bytes=1000", maxResponseBytes: 1000))
            #expect(small.body.count == 1000)
            for length in ["1", "0"] {
                let request = HTTPRequest(url: base + "/big?bytes=100000&length=\(length)", maxResponseBytes: 1000)
                let error = await #expect(throws: HTTPError.self) { try await client.send(request) }
                #expect(error?.kind == .responseTooLarge)
            }
        }
    }

    @Test func redirectsAreFollowedAndBounded() async throws {
        try await LoopbackServer.with { base in
            let followed = try await client.send(HTTPRequest(url: base + "/redirect?to=/hello"))
            #expect(followed.status == 200)
            #expect(followed.finalURL == base + "/hello")
            #expect(followed.redirectCount == 1)

            let unfollowed = try await client.send(HTTPRequest(url: base + "/redirect?to=/hello", maxRedirects: 0))
            #expect(unfollowed.status == 302)
            #expect(unfollowed.headers["location"] == "/hello")

            let error = await #expect(throws: HTTPError.self) {
                try await client.send(HTTPRequest(url: base + "/loop", maxRedirects: 3))
            }
            #expect(error?.kind == .tooManyRedirects)
        }
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        try await LoopbackServer.with { base in
            let started = ContinuousClock.now
            let task = Task { try await client.send(HTTPRequest(url: base + "/slow?ms=5000")) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let result = await task.result
            #expect(throws: HTTPError.self) { try result.get() }
            if case .failure(let error as HTTPError) = result { #expect(error.kind == .cancelled) }
            #expect(ContinuousClock.now - started < .seconds(2))

            // The client still works afterwards.
            #expect(try await client.send(HTTPRequest(url: base + "/hello")).status == 200)
        }
    }

    @Test func alreadyCancelledTaskNeverStarts() async throws {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(HTTPRequest(url: "http://127.0.0.1:1/"))
        }
        let result = await task.result
        guard case .failure(let error as HTTPError) = result else {
            Issue.record("expected a cancellation error, got \(result)")
            return
        }
        #expect(error.kind == .cancelled)
    }

    @Test func nonHTTPSchemesAreRefused() async throws {
        let error = await #expect(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "file:///etc/passwd"))
        }
        #expect(error?.kind == .invalidRequest)
    }

    @Test func errorStatusesAreResponsesNotErrors() async throws {
        try await LoopbackServer.with { base in
            let response = try await client.send(HTTPRequest(url: base + "/status?code=503"))
            #expect(response.status == 503)
        }
    }
    @Test func tlsFailureIsReportedAsTLS() async throws {
        try await LoopbackServer.with { base in
            // The server speaks plain HTTP, so the TLS handshake cannot succeed.
            let url = base.replacingOccurrences(of: "http://", with: "https://") + "/hello"
            let error = await #expect(throws: HTTPError.self) { try await client.send(HTTPRequest(url: url)) }
            #expect(error?.kind == .tls)
        }
    }

    @Test func authorizationIsNotForwardedToAnotherHost() async throws {
        try await LoopbackServer.with { base in
            let port = base.split(separator: ":").last.map(String.init) ?? ""
            let headers: HTTPHeaders = ["Authorization": "Bearer secret-token"]
            // Same host: the header is kept.
            let same = try await client.send(HTTPRequest(url: base + "/redirect?to=/echo", headers: headers))
            #expect(same.text.contains("secret-token"))
            // "localhost" is another host name than 127.0.0.1: libcurl drops the header.
            let other = "http://localhost:\(port)/echo"
            let moved = try await client.send(HTTPRequest(url: base + "/redirect?to=" + other, headers: headers))
            #expect(moved.status == 200)
            #expect(moved.finalURL == other)
            #expect(!moved.text.contains("secret-token"))
        }
    }
}

import ConcurrencyTestSupport
import Foundation
import HTTPServer
import Logging
import MCP
import Synchronization
import Testing

/// The MCP endpoint over a real HTTP server, with a stub key verifier and a stub protocol layer
/// that answers requests (an `id`) and accepts notifications.
@Suite("MCP HTTP endpoint")
struct MCPHTTPEndpointTests {
    static let key = "trb_good-key"
    static let request = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
    static let notification = #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#

    /// What the stub protocol layer was given.
    final class Seen: Sendable {
        let contexts = Mutex<[MCPRequestContext]>([])
    }

    static func endpoint(seen: Seen = Seen()) -> MCPHTTPEndpoint {
        MCPHTTPEndpoint(
            allowedOrigins: ["https://chat.example.com", "http://localhost:6274/"], logger: Logger(label: "test"),
            verifyKey: { $0 == key ? "laptop" : nil }
        ) { message, context in
            seen.contexts.withLock { $0.append(context) }
            guard String(decoding: message, as: UTF8.self).contains("\"id\"") else { return .accepted }
            return .reply(Array(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8))
        }
    }

    static func post(
        _ body: String, path: String = "/mcp", method: String = "POST", headers: [String: String] = [:],
        endpoint: MCPHTTPEndpoint = endpoint()
    ) async throws -> RawClient.Response {
        let (server, port) = try startServer { await endpoint.respond(to: $0) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n"
        var all = ["Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                   "Authorization": "Bearer \(key)"]
        for (name, value) in headers { all[name] = value.isEmpty ? nil : value }
        for (name, value) in all.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        let text = head + "\r\n" + body
        let response = try await onThread { () throws -> RawClient.Response in
            let client = try RawClient(port: port)
            client.send(text)
            guard let response = client.readResponse() else { throw TestFailure("no response") }
            return response
        }
        await server.stop()
        return response
    }

    @Test("a request with a valid key gets 200 and the JSON reply; the protocol version header is passed on")
    func reply() async throws {
        let seen = Seen()
        let response = try await Self.post(Self.request, headers: ["MCP-Protocol-Version": "2025-11-25"], endpoint: Self.endpoint(seen: seen))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.text == #"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        #expect(response.headers["mcp-session-id"] == nil)
        let context = try #require(seen.contexts.withLock { $0.first })
        #expect(context.transport == .http)
        #expect(context.protocolVersionHeader == "2025-11-25")
    }

    @Test("a notification gets 202 with no body")
    func accepted() async throws {
        let response = try await Self.post(Self.notification)
        #expect(response.status == 202)
        #expect(response.body.isEmpty)
    }

    @Test("no key, a wrong key or another scheme: 401 with WWW-Authenticate: Bearer", arguments: [
        "", "Bearer trb_wrong", "Basic dXNlcjpwYXNz", "Bearer", "bearer  ",
    ])
    func unauthorized(_ authorization: String) async throws {
        let seen = Seen()
        let response = try await Self.post(Self.request, headers: ["Authorization": authorization], endpoint: Self.endpoint(seen: seen))
        #expect(response.status == 401)
        #expect(response.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(seen.contexts.withLock { $0.isEmpty })
    }

    @Test("the scheme is case-insensitive")
    func lowerCaseScheme() async throws {
        #expect(try await Self.post(Self.request, headers: ["Authorization": "bearer \(Self.key)"]).status == 200)
    }

    @Test("a foreign Origin gets 403 even with a valid key; listed origins pass, case and slash aside")
    func origins() async throws {
        #expect(try await Self.post(Self.request, headers: ["Origin": "https://evil.example"]).status == 403)
        #expect(try await Self.post(Self.request, headers: ["Origin": "null"]).status == 403)
        #expect(try await Self.post(Self.request, headers: ["Origin": "https://Chat.Example.com"]).status == 200)
        #expect(try await Self.post(Self.request, headers: ["Origin": "http://localhost:6274"]).status == 200)
    }

    @Test("GET and DELETE get 405 with Allow: POST, OPTIONS; other paths 404")
    func methodsAndPaths() async throws {
        let get = try await Self.post("", method: "GET")
        #expect(get.status == 405)
        #expect(get.headers["allow"] == "POST, OPTIONS")
        #expect(try await Self.post("", method: "DELETE").status == 405)
        #expect(try await Self.post(Self.request, path: "/").status == 404)
        #expect(try await Self.post(Self.request, path: "/mcp/x").status == 404)
        #expect(try await Self.post(Self.request, path: "/mcp?x=1").status == 200)
    }

    @Test("an allowed origin gets CORS headers and a preflight answer without a key; a foreign one 403")
    func cors() async throws {
        let origin = "https://chat.example.com"
        let preflight = try await Self.post("", method: "OPTIONS", headers: ["Origin": origin, "Authorization": "", "Content-Type": ""])
        #expect(preflight.status == 204)
        #expect(preflight.headers["content-length"] == nil)
        #expect(preflight.headers["access-control-allow-origin"] == origin)
        #expect(preflight.headers["access-control-allow-headers"]?.contains("Authorization") == true)
        #expect(preflight.headers["access-control-allow-methods"] == "POST")
        let post = try await Self.post(Self.request, headers: ["Origin": origin])
        #expect(post.status == 200)
        #expect(post.headers["access-control-allow-origin"] == origin)
        let denied = try await Self.post(Self.request, headers: ["Origin": origin, "Authorization": ""])
        #expect(denied.status == 401)
        #expect(denied.headers["access-control-allow-origin"] == origin)
        #expect(try await Self.post("", method: "OPTIONS", headers: ["Origin": "https://evil.example"]).status == 403)
        let plain = try await Self.post(Self.request)
        #expect(plain.headers["access-control-allow-origin"] == nil)
    }

    @Test("a body that is not JSON gets 415; an Accept without JSON 406")
    func mediaTypes() async throws {
        #expect(try await Self.post(Self.request, headers: ["Content-Type": "text/plain"]).status == 415)
        #expect(try await Self.post(Self.request, headers: ["Content-Type": ""]).status == 415)
        #expect(try await Self.post(Self.request, headers: ["Content-Type": "application/json; charset=utf-8"]).status == 200)
        #expect(try await Self.post(Self.request, headers: ["Accept": "text/event-stream"]).status == 406)
        #expect(try await Self.post(Self.request, headers: ["Accept": ""]).status == 200)
        #expect(try await Self.post(Self.request, headers: ["Accept": "*/*"]).status == 200)
    }
}

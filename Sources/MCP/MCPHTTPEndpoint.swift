import HTTPServer
import Logging

/// The Streamable HTTP transport of MCP over ``HTTPServer``: `POST /mcp` carries one JSON-RPC
/// message (or batch) and gets the JSON answer in the response body. Stateless: no session id is
/// ever issued, and no server-to-client stream is offered, so GET and DELETE answer 405 as the
/// specification allows.
///
/// Checks, in order: the path (404), the `Origin` header against the allowed list when present
/// (403, against DNS rebinding from browsers), the method (405; OPTIONS answers a CORS
/// preflight), the bearer key (401 with `WWW-Authenticate: Bearer`), `Content-Type` (415) and
/// `Accept` (406). Answers to an allowed origin carry `Access-Control-Allow-Origin`.
public struct MCPHTTPEndpoint: Sendable {
    /// Tells who a presented key belongs to (a label), or nil for an unknown or revoked key.
    public typealias KeyVerifier = @Sendable (String) async -> String?

    /// Answers one received message; ``MCPServer/handle(_:context:)`` in the daemon.
    public typealias MessageHandler = @Sendable ([UInt8], MCPRequestContext) async -> MCPOutcome

    /// The only path served.
    public static let path = "/mcp"

    let handleMessage: MessageHandler
    let verifyKey: KeyVerifier
    /// Lower-cased, without a trailing slash.
    let allowedOrigins: Set<String>
    let logger: Logger

    /// `allowedOrigins` are full origins such as `https://chat.example.com`; a request without
    /// `Origin` (not from a browser) is always allowed.
    public init(server: MCPServer, allowedOrigins: [String], logger: Logger, verifyKey: @escaping KeyVerifier) {
        self.init(allowedOrigins: allowedOrigins, logger: logger, verifyKey: verifyKey) { message, context in
            await server.handle(message, context: context)
        }
    }

    /// The same over any message handler (tests).
    public init(
        allowedOrigins: [String], logger: Logger, verifyKey: @escaping KeyVerifier, handleMessage: @escaping MessageHandler
    ) {
        self.handleMessage = handleMessage
        self.verifyKey = verifyKey
        self.allowedOrigins = Set(allowedOrigins.map(Self.normalize(origin:)))
        self.logger = logger
    }

    /// Answers one HTTP request; pass it as the ``HTTPServer`` handler.
    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        guard request.path == Self.path else { return .text(404, "not found; the MCP endpoint is \(Self.path)") }
        let origin = request.headers["origin"]
        if let origin, !allowedOrigins.contains(Self.normalize(origin: origin)) {
            logger.notice("MCP request refused: origin not allowed", metadata: ["origin": "\(origin.prefix(200))", "peer": "\(request.remoteAddress)"])
            return .text(403, "origin not allowed")
        }
        var response = await answer(request, fromBrowser: origin != nil)
        if let origin {
            // An allowed browser origin may read the answer (CORS); no cookies are involved.
            response.headers.append("Access-Control-Allow-Origin", origin)
            response.headers.append("Vary", "Origin")
        }
        return response
    }

    private func answer(_ request: HTTPServerRequest, fromBrowser: Bool) async -> HTTPServerResponse {
        switch request.method {
        case "POST":
            break
        case "OPTIONS":
            // A browser's preflight carries no key; it learns what the POST may send.
            var headers = HTTPFields([("Allow", Self.allowed)])
            if fromBrowser {
                headers.append("Access-Control-Allow-Methods", "POST")
                headers.append("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, Mcp-Name")
                headers.append("Access-Control-Max-Age", "600")
            }
            return HTTPServerResponse(status: 204, headers: headers)
        default:
            // No SSE stream to open (GET) and no session to end (DELETE).
            return .text(405, "only POST is supported", headers: HTTPFields([("Allow", Self.allowed)]))
        }
        guard let key = Self.bearerKey(request.headers["authorization"]) else {
            return Self.unauthorized("a bearer key is required (Authorization: Bearer KEY)")
        }
        guard let label = await verifyKey(key) else {
            // Never log the key: only that one was refused, and from where.
            logger.notice("MCP request refused: unknown or revoked key", metadata: ["peer": "\(request.remoteAddress)"])
            return Self.unauthorized("the key is not valid")
        }
        guard Self.isJSON(request.headers["content-type"]) else {
            return .text(415, "the body must be application/json")
        }
        guard Self.acceptsJSON(request.headers.values("accept")) else {
            return .text(406, "the response is application/json; the Accept header does not allow it")
        }
        logger.trace("MCP request", metadata: ["client": "\(label)", "bytes": "\(request.body.count)"])
        let version = request.headers["mcp-protocol-version"]
        let context = MCPRequestContext(
            transport: .http, protocolVersionHeader: version, methodHeader: request.headers["mcp-method"],
            nameHeader: request.headers["mcp-name"])
        let outcome = await handleMessage(request.body, context)
        switch outcome {
        case .reply(let bytes):
            let status = Self.status(forError: outcome.errorCode, protocolVersion: version)
            return HTTPServerResponse(status: status, headers: HTTPFields([("Content-Type", "application/json")]), body: bytes)
        case .accepted:
            return HTTPServerResponse(status: 202)
        }
    }

    /// The HTTP status of a JSON-RPC reply. Header mismatches and unsupported versions are
    /// always 400; from 2026-07-28 on, the transport maps malformed requests to 400 and unknown
    /// methods to 404; earlier revisions carry every error in a 200 response.
    static func status(forError code: Int?, protocolVersion: String?) -> Int {
        guard let code else { return 200 }
        if [-32020, -32021, -32022].contains(code) { return 400 }
        guard let protocolVersion, protocolVersion >= "2026-07-28" else { return 200 }
        switch code {
        case -32700, -32600, -32602: return 400
        case -32601: return 404
        default: return 200
        }
    }

    static let allowed = "POST, OPTIONS"

    static func unauthorized(_ message: String) -> HTTPServerResponse {
        .text(401, message, headers: HTTPFields([("WWW-Authenticate", "Bearer realm=\"tributary\"")]))
    }

    /// The token of `Bearer TOKEN` (scheme case-insensitive), or nil.
    static func bearerKey(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let key = parts[1].trimmingSpaces
        return key.isEmpty ? nil : key
    }

    /// `application/json`, with or without parameters such as `charset=utf-8`.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        return mediaType(contentType) == "application/json"
    }

    /// An absent Accept accepts anything; otherwise JSON must be among the types listed.
    static func acceptsJSON(_ values: [String]) -> Bool {
        guard !values.isEmpty else { return true }
        let types = values.flatMap { $0.split(separator: ",") }.map { mediaType(String($0)) }
        return types.contains { $0 == "application/json" || $0 == "application/*" || $0 == "*/*" }
    }

    static func mediaType(_ text: String) -> String {
        String(text.prefix { $0 != ";" }).trimmingSpaces.lowercased()
    }

    static func normalize(origin: String) -> String {
        var origin = origin.trimmingSpaces.lowercased()
        while origin.hasSuffix("/") { origin.removeLast() }
        return origin
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}

import Control
import Foundation
import Logging
import Synchronization
import Varlink

/// What the MCP tools read: the daemon implements it over the engine, `tributaryctl mcp` over
/// the control socket. Errors are the control contract's, so both behave alike.
public protocol MCPKnowledge: Sendable {
    func search(_ request: SearchRequest) async throws(MCPToolError) -> [SearchHit]
    func page(_ request: PageRequest) async throws(MCPToolError) -> PageContent
    func datastores() async throws(MCPToolError) -> [DatastoreStatus]
    func ask(_ request: AskRequest) async throws(MCPToolError) -> AskAnswer
}

/// Why a tool could not run: a typed error of the control contract, or the daemon out of reach.
public enum MCPToolError: Error, Sendable, Equatable {
    case control(ControlError)
    case unavailable(String)
}

/// Where a message came from; transports fill in what they know.
public struct MCPRequestContext: Sendable {
    public enum Transport: String, Sendable { case stdio, http }
    public var transport: Transport
    /// The `MCP-Protocol-Version` header of an HTTP request, when sent.
    public var protocolVersionHeader: String?
    /// The `Mcp-Method` header of an HTTP request, when sent (2026-07-28): checked against the body.
    public var methodHeader: String?
    /// The `Mcp-Name` header of an HTTP request, when sent (2026-07-28), as received (the
    /// `=?base64?…?=` form is decoded here): checked against the body's tool name.
    public var nameHeader: String?

    public init(transport: Transport, protocolVersionHeader: String? = nil, methodHeader: String? = nil, nameHeader: String? = nil) {
        self.transport = transport
        self.protocolVersionHeader = protocolVersionHeader
        self.methodHeader = methodHeader
        self.nameHeader = nameHeader
    }
}

/// What a transport sends back for one received message.
public enum MCPOutcome: Sendable, Equatable {
    /// A JSON-RPC response (or batch of them): the bytes to send.
    case reply([UInt8])
    /// The message held only notifications or responses: nothing to send (HTTP 202).
    case accepted
}

extension MCPOutcome {
    /// The JSON-RPC error code when the reply is a single error response (HTTP transports map
    /// -32020, -32021, -32022, -32600, -32602 and -32700 to 400 and -32601 to 404 in 2026-07-28).
    public var errorCode: Int? {
        guard case .reply(let bytes) = self, case .success(let value) = JSONText.parse(bytes),
            let code = value["error"]?["code"]?.integerValue
        else { return nil }
        return Int(exactly: code)
    }
}

/// The protocol layer: JSON-RPC 2.0 messages in, replies out, for every transport.
///
/// Speaks both generations. A request whose `params._meta` carries
/// `io.modelcontextprotocol/protocolVersion` is served statelessly under that revision
/// (2026-07-28: `server/discover`, `resultType`, caching hints); any other request is of the
/// handshake era, under the revision `initialize` settled (stdio), the `MCP-Protocol-Version`
/// header (HTTP), or the newest handshake revision when neither said. `ping` is answered in
/// both eras; notifications and responses are accepted and dropped (`notifications/cancelled`
/// too, which the spec makes optional: the call runs on and the client drops its reply).
public final class MCPServer: Sendable {
    public let knowledge: any MCPKnowledge
    public let version: String
    let logger: Logger

    /// Messages larger than this are refused unread (-32600).
    public static let maxMessageBytes = 4 << 20
    /// How long a client may keep the tool list (2026-07-28 `ttlMs`): it changes only with an upgrade.
    static let toolListTTLMilliseconds: Int64 = 600_000
    static let instructions = """
        Tributary serves this team's Confluence from its own index. Call `search` for passages that answer a \
        question (cite each by its `url`), `fetch` with a result's `id` to read the whole page (in parts with \
        `max_chars` and `offset`), `ask` for a cited answer, and `list_datastores` to see what is indexed and \
        how fresh it is.
        """

    /// The revision `initialize` settled on stdio, where the process serves one client.
    private let stdioVersion = Mutex<String?>(nil)
    private let tools: ToolRunner

    public init(knowledge: any MCPKnowledge, version: String, logger: Logger) {
        self.knowledge = knowledge
        self.version = version
        self.logger = logger
        tools = ToolRunner(knowledge: knowledge)
    }

    /// Handles one received message (a request, a notification, a response or a batch).
    public func handle(_ message: [UInt8], context: MCPRequestContext) async -> MCPOutcome {
        guard message.count <= Self.maxMessageBytes else {
            return .reply(JSONText.encode(JSONText.error(id: .null, Self.tooLarge(message.count))))
        }
        switch JSONText.parse(message) {
        case .failure(let error):
            return .reply(JSONText.encode(JSONText.error(id: .null, error)))
        case .success(.array(let elements)):
            return await handleBatch(elements, context: context)
        case .success(let value):
            guard let reply = await handleMessage(value, context: context) else { return .accepted }
            return .reply(JSONText.encode(reply))
        }
    }

    /// The error for a message over ``maxMessageBytes`` (also what the stdio reader sends for
    /// a line it stopped reading).
    static func tooLarge(_ bytes: Int) -> JSONRPCError {
        .invalidRequest("the message has \(bytes) bytes; the limit is \(maxMessageBytes >> 20) MiB")
    }

    /// Batches existed only in 2025-03-26; elsewhere the whole batch gets one -32600.
    private func handleBatch(_ elements: [JSONValue], context: MCPRequestContext) async -> MCPOutcome {
        guard !elements.isEmpty else {
            return .reply(JSONText.encode(JSONText.error(id: .null, .invalidRequest("an empty batch"))))
        }
        let revision = handshakeRevision(context)
        guard let revision, revision.allowsBatches else {
            let speaking = revision.map { " (this connection speaks \($0.version))" } ?? ""
            let error = JSONRPCError.invalidRequest(
                "JSON-RPC batches are not supported\(speaking): MCP removed them in 2025-06-18; send one message at a time")
            return .reply(JSONText.encode(JSONText.error(id: .null, error)))
        }
        var replies: [JSONValue] = []
        for element in elements {
            if let reply = await handleMessage(element, context: context) { replies.append(reply) }
        }
        return replies.isEmpty ? .accepted : .reply(JSONText.encode(.array(replies)))
    }

    private func handleMessage(_ value: JSONValue, context: MCPRequestContext) async -> JSONValue? {
        switch JSONRPCMessage(value) {
        case .response, .notification:
            // notifications/initialized needs nothing; notifications/cancelled is optional to honour
            // (the client drops the late reply); responses answer requests this server never sends.
            return nil
        case .invalid(let id, let error):
            return JSONText.error(id: id, error)
        case .request(let id, let method, let params):
            do {
                return JSONText.result(id: id, try await dispatch(method, params: params, context: context))
            } catch {
                return JSONText.error(id: id, error)
            }
        }
    }

    private func dispatch(_ method: String, params: [String: JSONValue], context: MCPRequestContext) async throws(JSONRPCError) -> JSONValue {
        if method == "initialize" { return try initialize(params, context: context) }
        let revision = try revision(for: method, params: params, context: context)
        switch method {
        case "ping":
            return complete([:], revision)
        case "server/discover":
            return complete(discovery, revision)
        case "tools/list":
            if let cursor = params["cursor"], cursor != .null { throw .invalidParams("unknown cursor (the tool list has one page)") }
            var result: [String: JSONValue] = ["tools": .array(ToolCatalog.all.map { $0.listing(revision) })]
            if revision.isModern {
                result["ttlMs"] = .integer(Self.toolListTTLMilliseconds)
                result["cacheScope"] = .string("public")
            }
            return complete(result, revision)
        case "tools/call":
            return complete(try await callTool(params, revision: revision, context: context), revision)
        default:
            throw .methodNotFound(method)
        }
    }

    /// The handshake: answers the client's revision when we speak it, else our newest.
    private func initialize(_ params: [String: JSONValue], context: MCPRequestContext) throws(JSONRPCError) -> JSONValue {
        guard case .string(let requested)? = params["protocolVersion"] else {
            throw .invalidParams("initialize needs \"protocolVersion\" (a string)")
        }
        let version = MCPProtocol.negotiate(requested)
        if context.transport == .stdio { stdioVersion.withLock { $0 = version } }
        logger.debug("MCP initialize", metadata: ["requested": "\(requested)", "version": "\(version)"])
        return .object([
            "protocolVersion": .string(version),
            "capabilities": capabilities,
            "serverInfo": serverInfo,
            "instructions": .string(Self.instructions),
        ])
    }

    /// The revision a request is served under, checking the 2026-07-28 envelope when present.
    private func revision(for method: String, params: [String: JSONValue], context: MCPRequestContext) throws(JSONRPCError) -> ProtocolRevision {
        let meta = params["_meta"]?.objectValue
        guard let versionValue = meta?[MCPProtocol.protocolVersionKey] else {
            if method == "server/discover" || context.protocolVersionHeader.map(MCPProtocol.modernVersions.contains) == true {
                throw .invalidParams("\(method) needs _meta with \(MCPProtocol.protocolVersionKey) and \(MCPProtocol.clientCapabilitiesKey)")
            }
            guard let revision = handshakeRevision(context) else {
                throw .invalidRequest("unsupported MCP-Protocol-Version \(context.protocolVersionHeader ?? "")")
            }
            return revision
        }
        guard case .string(let version) = versionValue else {
            throw .invalidParams("_meta \(MCPProtocol.protocolVersionKey) must be a string")
        }
        guard MCPProtocol.supportedVersions.contains(version) else { throw .unsupportedVersion(version) }
        let revision = ProtocolRevision(version: version)
        if revision.isModern, meta?[MCPProtocol.clientCapabilitiesKey]?.objectValue == nil {
            throw .invalidParams("_meta needs \(MCPProtocol.clientCapabilitiesKey) (an object)")
        }
        if context.transport == .http {
            if let header = context.protocolVersionHeader, header != version {
                throw .headerMismatch("MCP-Protocol-Version header \(header) does not match _meta \(version)")
            }
            if let header = context.methodHeader, header != method {
                throw .headerMismatch("Mcp-Method header \(header) does not match the body's method \(method)")
            }
        }
        return revision
    }

    /// The handshake-era revision of this connection: what `initialize` settled (stdio), the
    /// header (HTTP; 2025-03-26 without one); nil for an HTTP header naming no revision we speak.
    private func handshakeRevision(_ context: MCPRequestContext) -> ProtocolRevision? {
        switch context.transport {
        case .stdio:
            return ProtocolRevision(version: stdioVersion.withLock { $0 } ?? MCPProtocol.latestHandshakeVersion)
        case .http:
            guard let header = context.protocolVersionHeader else { return ProtocolRevision(version: MCPProtocol.headerlessHTTPVersion) }
            return MCPProtocol.supportedVersions.contains(header) ? ProtocolRevision(version: header) : nil
        }
    }

    private func callTool(_ params: [String: JSONValue], revision: ProtocolRevision, context: MCPRequestContext) async throws(JSONRPCError) -> [String: JSONValue] {
        guard case .string(let name)? = params["name"] else { throw .invalidParams("tools/call needs \"name\" (a string)") }
        let arguments: [String: JSONValue]
        switch params["arguments"] {
        case nil, .null?: arguments = [:]
        case .object(let object)?: arguments = object
        default: throw .invalidParams("\"arguments\" must be an object")
        }
        if context.transport == .http, revision.isModern, let header = context.nameHeader, Self.decodedHeader(header) != name {
            throw .headerMismatch("Mcp-Name header \(header) does not match the tool name \(name)")
        }
        guard let tool = ToolCatalog.named(name) else { throw .invalidParams("Unknown tool: \(name)") }
        let start = ContinuousClock.now
        let outcome = await tools.run(tool, arguments: arguments)
        let elapsed = ContinuousClock.now - start
        switch outcome {
        case .success(let structured):
            logger.debug("MCP tool call", metadata: ["tool": "\(name)", "elapsed": "\(elapsed)"])
            var result: [String: JSONValue] = ["content": .array([Self.text(JSONText.string(structured))])]
            if revision.hasStructuredContent { result["structuredContent"] = structured }
            return result
        case .failure(let message):
            logger.info("MCP tool call failed", metadata: ["tool": "\(name)", "error": "\(message)"])
            return ["content": .array([Self.text(message)]), "isError": .bool(true)]
        }
    }

    /// A header value as sent, `=?base64?…?=` decoded (2026-07-28 value encoding).
    static func decodedHeader(_ value: String) -> String {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.count >= 11 else { return value }
        let encoded = String(value.dropFirst(9).dropLast(2))
        guard let data = Data(base64Encoded: encoded), let decoded = String(data: data, encoding: .utf8) else { return value }
        return decoded
    }

    private static func text(_ text: String) -> JSONValue {
        .object(["type": .string("text"), "text": .string(text)])
    }

    /// A result as the revision wants it: 2026-07-28 adds `resultType` and names the server.
    private func complete(_ result: [String: JSONValue], _ revision: ProtocolRevision) -> JSONValue {
        guard revision.isModern else { return .object(result) }
        var result = result
        result["resultType"] = .string("complete")
        result["_meta"] = .object([MCPProtocol.serverInfoKey: serverInfo])
        return .object(result)
    }

    private var capabilities: JSONValue {
        .object(["tools": .object(["listChanged": .bool(false)])])
    }

    private var serverInfo: JSONValue {
        .object(["name": .string("tributary"), "title": .string("Tributary"), "version": .string(version)])
    }

    /// `server/discover`: what we speak, what we offer, who we are (in `_meta`, added by `complete`).
    private var discovery: [String: JSONValue] {
        [
            "supportedVersions": .array(MCPProtocol.supportedVersions.map(JSONValue.string)),
            "capabilities": capabilities,
            "instructions": .string(Self.instructions),
            "ttlMs": .integer(Self.toolListTTLMilliseconds),
            "cacheScope": .string("public"),
        ]
    }
}

import Control
import Logging

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

    public init(transport: Transport, protocolVersionHeader: String? = nil) {
        self.transport = transport
        self.protocolVersionHeader = protocolVersionHeader
    }
}

/// What a transport sends back for one received message.
public enum MCPOutcome: Sendable, Equatable {
    /// A JSON-RPC response (or batch of them): the bytes to send.
    case reply([UInt8])
    /// The message held only notifications or responses: nothing to send (HTTP 202).
    case accepted
}

/// The protocol layer: JSON-RPC 2.0 messages in, replies out, for every transport.
public final class MCPServer: Sendable {
    public let knowledge: any MCPKnowledge
    public let version: String
    let logger: Logger

    public init(knowledge: any MCPKnowledge, version: String, logger: Logger) {
        self.knowledge = knowledge
        self.version = version
        self.logger = logger
    }

    /// Handles one received message (a request, a notification, a response or a batch).
    public func handle(_ message: [UInt8], context: MCPRequestContext) async -> MCPOutcome {
        // TODO(mcp helper)
        .accepted
    }
}

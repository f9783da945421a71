/// The MCP revisions this server speaks, and what differs between them.
///
/// Two generations: the handshake era (`initialize`, then requests in a session or stdio
/// process) and the modern era from 2026-07-28 (no handshake; every request carries its
/// version and the client's capabilities in `_meta`).
public enum MCPProtocol {
    /// Every supported revision, newest first (the order `server/discover` and -32022 list them).
    public static let supportedVersions = ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    /// Revisions reached through `initialize`, newest first.
    public static let handshakeVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    /// Revisions with per-request `_meta`, newest first.
    public static let modernVersions = ["2026-07-28"]

    /// What `initialize` answers when the client asks for a revision we do not speak.
    public static let latestHandshakeVersion = handshakeVersions[0]
    /// What a Streamable HTTP request without `MCP-Protocol-Version` is taken to speak (spec 2025-06-18).
    static let headerlessHTTPVersion = "2025-03-26"

    /// The `_meta` keys of the modern envelope.
    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"

    /// The revision `initialize` settles on: the client's when supported, else our newest.
    static func negotiate(_ requested: String) -> String {
        handshakeVersions.contains(requested) ? requested : latestHandshakeVersion
    }
}

/// The revision one request is served under.
struct ProtocolRevision: Sendable, Equatable {
    let version: String

    /// 2026-07-28 and later: results carry `resultType` and the server's identity in `_meta`.
    var isModern: Bool { MCPProtocol.modernVersions.contains(version) }
    /// 2025-06-18 added `outputSchema`, `structuredContent` and tool titles.
    var hasStructuredContent: Bool { version >= "2025-06-18" }
    /// Only 2025-03-26 had JSON-RPC batches (added then, removed in 2025-06-18).
    var allowsBatches: Bool { version == "2025-03-26" }
}

/// The release both programs belong to: `tributaryd` reports it (health, GetInfo, MCP
/// serverInfo) and `tributaryctl mcp` reports the same, so an assistant sees one version.
public enum TributaryRelease {
    public static let version = "0.2.0"
}

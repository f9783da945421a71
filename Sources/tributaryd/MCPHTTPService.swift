import HTTPServer
import ServiceLifecycle

/// The MCP Streamable HTTP endpoint as a service (only when `--mcp-listen` or `mcp_listen` asks
/// for it). Like the control socket it listens from start-up; the group stops it.
struct MCPHTTPService: Service {
    let server: HTTPServer

    func run() async {
        try? await gracefulShutdown()
        await runToCompletion { [server] in await server.stop() }
    }
}

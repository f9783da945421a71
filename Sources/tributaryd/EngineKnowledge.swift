import Control
import MCP

/// What the MCP tools of the HTTP endpoint read: the daemon's own backend, called in process
/// (the same methods the control socket serves, so both behave alike).
struct EngineKnowledge: MCPKnowledge {
    let backend: EngineBackend

    func search(_ request: SearchRequest) async throws(MCPToolError) -> [SearchHit] {
        do { return try await backend.search(request) } catch { throw .control(error) }
    }

    func page(_ request: PageRequest) async throws(MCPToolError) -> PageContent {
        do { return try await backend.page(request) } catch { throw .control(error) }
    }

    func datastores() async throws(MCPToolError) -> [DatastoreStatus] {
        do { return try await backend.listDatastores() } catch { throw .control(error) }
    }

    func ask(_ request: AskRequest) async throws(MCPToolError) -> AskAnswer {
        // The tool returns the whole answer; nobody reads a stream here.
        do { return try await backend.ask(request, onDelta: { _ in }) } catch { throw .control(error) }
    }
}

import Control
import Engine

/// Keys of the MCP HTTP endpoint.
extension EngineBackend {
    func createMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) -> MCPKeyCreated {
        // TODO(http helper)
        throw .notReady(message: "MCP keys are not implemented yet")
    }

    func listMCPKeys() async throws(ControlError) -> [MCPKeyInfo] {
        []
    }

    func revokeMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) {
        throw .noSuchKey(label: label)
    }
}

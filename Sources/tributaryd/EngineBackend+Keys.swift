import Control
import Engine
import Logging

/// Keys of the MCP HTTP endpoint. The key is returned once and never logged.
extension EngineBackend {
    func createMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) -> MCPKeyCreated {
        let keys = try mcpKeyRepository()
        let key = try Self.keyCall { () throws(MCPKeyError) in try keys.create(label: label) }
        logger.notice("MCP key \(label) created by uid \(caller.uid) pid \(caller.pid)",
                      metadata: ["label": "\(label)", "uid": "\(caller.uid)", "pid": "\(caller.pid)", "action": "create_mcp_key"])
        return MCPKeyCreated(label: label, key: key)
    }

    func listMCPKeys() async throws(ControlError) -> [MCPKeyInfo] {
        let keys = try mcpKeyRepository()
        return try Self.keyCall { () throws(MCPKeyError) in try keys.list() }.map { record in
            MCPKeyInfo(label: record.label, created: Self.iso8601(record.created), lastUsed: record.lastUsed.map(Self.iso8601))
        }
    }

    func revokeMCPKey(label: String, by caller: ControlCaller) async throws(ControlError) {
        let keys = try mcpKeyRepository()
        try Self.keyCall { () throws(MCPKeyError) in try keys.revoke(label: label) }
        logger.notice("MCP key \(label) revoked by uid \(caller.uid) pid \(caller.pid)",
                      metadata: ["label": "\(label)", "uid": "\(caller.uid)", "pid": "\(caller.pid)", "action": "revoke_mcp_key"])
    }

    private func mcpKeyRepository() throws(ControlError) -> MCPKeyRepository {
        do {
            return try engine.mcpKeys()
        } catch {
            throw Self.controlError(error)
        }
    }

    private static func keyCall<T>(_ body: () throws(MCPKeyError) -> T) throws(ControlError) -> T {
        do {
            return try body()
        } catch {
            switch error {
            case .exists(let label): throw .keyExists(label: label)
            case .noSuchKey(let label): throw .noSuchKey(label: label)
            case .invalidLabel(let message): throw .invalidParameter(parameter: "label", message: message)
            case .storage(let message): throw .internalError(message: message)
            }
        }
    }
}

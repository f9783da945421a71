import Foundation
import Testing
@testable import DaemonConfig
@testable import Engine

@Suite("MCP settings in tributaryd.conf")
struct MCPConfigurationTests {
    func write(_ text: String) throws -> String {
        let directory = NSTemporaryDirectory() + "tributary-conf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/tributaryd.conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("mcp_listen and mcp_allowed_origins are read; absent, nothing is served")
    func read() throws {
        let configuration = try DaemonConfiguration.load(path: try write("""
            mcp_listen = [::1]:8765
            mcp_allowed_origins = https://a.example, http://localhost:6274
            """))
        #expect(configuration.mcpListen == "[::1]:8765")
        #expect(configuration.mcpAllowedOrigins == ["https://a.example", "http://localhost:6274"])
        let empty = try DaemonConfiguration.load(path: try write("log = auto\n"))
        #expect(empty.mcpListen == nil)
        #expect(empty.mcpAllowedOrigins.isEmpty)
    }

    @Test("an origin without a scheme is refused with its line")
    func badOrigin() throws {
        let path = try write("log = auto\nmcp_allowed_origins = https://a.example, chat.example.com\n")
        #expect {
            try DaemonConfiguration.load(path: path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("2") && text.contains("mcp_allowed_origins") && text.contains("chat.example.com")
        }
    }
}

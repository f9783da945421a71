import ArgumentParser
import Control
import Foundation

/// `tributaryctl mcp key create|list|revoke`.
struct MCPKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create, list and revoke keys of the daemon's MCP HTTP endpoint.",
        subcommands: [])
}

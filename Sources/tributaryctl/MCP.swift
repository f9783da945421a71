import ArgumentParser
import Control
import Foundation
import MCP

/// `tributaryctl mcp`: the MCP server on standard input and output, a bridge to the daemon.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the Model Context Protocol on stdin/stdout (for assistants), or manage MCP HTTP keys.",
        subcommands: [MCPKeyCommand.self])

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        // TODO(mcp helper): the stdio bridge.
        throw CtlFailure("tributaryctl mcp is not implemented yet", status: .error)
    }
}

import ArgumentParser
import Control
import Foundation
import Logging
import MCP

/// `tributaryctl mcp`: the MCP server on standard input and output, a bridge to the daemon.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the Model Context Protocol on stdin/stdout (for assistants), or manage MCP HTTP keys.",
        discussion: """
            An assistant runs `tributaryctl mcp` as a command and speaks MCP (newline-delimited JSON-RPC) on \
            its standard input and output; diagnostics go to standard error. Tools: search, fetch, \
            list_datastores and ask, read from tributaryd over its socket. The command keeps serving while \
            the daemon is down (the tools then say so) and exits 0 when its input ends.
            """,
        subcommands: [MCPKeyCommand.self])

    /// The version `serverInfo` reports (the release of tributaryd this tributaryctl ships with).
    static let version = "0.2.0"

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .long, help: "Log every tool call to standard error.")
    var verbose = false

    func run() async throws {
        var logger = Logger(label: "tributaryctl.mcp") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = verbose ? .debug : .warning
        let knowledge = ControlSocketKnowledge(socketPath: connection.socketPath)
        let server = MCPServer(knowledge: knowledge, version: Self.version, logger: logger)
        await MCPStdioTransport(server: server).run()
    }
}

import ArgumentParser
import Control
import Foundation

/// `tributaryctl mcp key create|list|revoke`.
struct MCPKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create, list and revoke keys of the daemon's MCP HTTP endpoint.",
        discussion: """
            A client of http://ADDRESS:PORT/mcp (tributaryd --mcp-listen) sends its key as \
            `Authorization: Bearer KEY`. The daemon stores only a hash: a key is shown once, when created.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print it (this once); needs the rights of other changes.",
            discussion: "With --json: {\"key\": \"trb_…\", \"label\": LABEL}.")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "A name for the key: 1 to 64 letters, digits, '.', '_' or '-'.") var label: String
        @Flag(help: "Print {\"key\", \"label\"} as JSON.") var json = false

        func run() async throws {
            let label = label
            let created = try await withClient(connection) { client throws(ControlClientError) in
                try await client.createMCPKey(label: label)
            }
            if json {
                Terminal.write(try JSONOutput.render(created))
            } else {
                Terminal.write(created.key + "\n")
                Terminal.writeError("Key “\(created.label)” created. It is shown only now; store it where the client reads it.\n")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the keys: labels and dates, never the keys.",
            discussion: "With --json: {\"keys\": [{\"label\", \"created\", \"lastUsed\"}, …]}; lastUsed is to the minute.")

        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print {\"keys\": […]} as JSON.") var json = false

        func run() async throws {
            let keys = try await withClient(connection) { client throws(ControlClientError) in try await client.listMCPKeys() }
            if json {
                Terminal.write(try JSONOutput.render(["keys": keys], nullMembers: ["keys[].lastUsed"]))
                return
            }
            guard !keys.isEmpty else {
                Terminal.write("No MCP keys. Create one with: tributaryctl mcp key create LABEL\n")
                return
            }
            var table = Table("LABEL", "CREATED", "LAST USED")
            for key in keys { table.add(key.label, key.created, key.lastUsed ?? "never") }
            Terminal.write(table.rendered)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: requests presenting it are refused from now on.")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The key's label.") var label: String

        func run() async throws {
            let label = label
            try await withClient(connection) { client throws(ControlClientError) in try await client.revokeMCPKey(label: label) }
            Terminal.write("Key “\(label)” revoked.\n")
        }
    }
}

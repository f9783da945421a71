import ArgumentParser
import Foundation

/// The `tributaryctl` command-line tool: the root command; each job is a subcommand.
@main
struct TributaryCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributaryctl",
        abstract: "Control and inspect the Tributary Confluence indexer.",
        discussion: """
        Talks to tributaryd over its Varlink socket (--socket, $TRIBUTARY_SOCKET, default \
        \(ConnectionOptions.defaultSocket)). Output is for people by default; every command \
        takes --json for scripts. Reading and searching needs access to the socket; changing \
        anything needs root, the daemon's user or membership of the group 'tributary'.

        EXIT STATUS
          0  success
          1  the daemon reported an error (authentication failed, no credits, ...)
          2  usage error or invalid parameter
          3  no such datastore or page
          4  permission denied
          5  tributaryd unreachable (socket missing, refused, or connection lost)
          6  watch --until ready: the datastore failed or was paused
          7  watch --timeout elapsed
          8  health: the daemon reports degraded or stalled
        """,
        subcommands: [
            Create.self, Update.self, List.self, Status.self, Watch.self, Search.self, Page.self, Ask.self, Explain.self,
            Resync.self, Pause.self, Resume.self, Delete.self, Credits.self, Health.self, Interface.self,
            MCPCommand.self, Convert.self, Manual.self, BenchSearch.self,
        ]
    )

    @OptionGroup var connection: ConnectionOptions

    /// Runs the command and turns failures into the documented exit statuses.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CtlFailure {
            failure.exit()
        } catch {
            if exitCode(for: error) == .validationFailure {
                Terminal.writeError(fullMessage(for: error) + "\n")
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}

import ArgumentParser

/// The `tributaryctl` command-line tool: the root command; each job is a subcommand.
@main
struct TributaryCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributaryctl",
        abstract: "Control and inspect the Tributary Confluence indexer.",
        subcommands: [Convert.self]
    )
}

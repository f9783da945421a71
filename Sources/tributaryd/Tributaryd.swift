import ArgumentParser
import Control
import DaemonConfig
import Foundation
import HTTPServer
import Logging
import Storage
import Systemd
import TributaryEvents

/// `tributaryd`: the Tributary daemon, in the foreground.
@main
struct Tributaryd: AsyncParsableCommand {
    static let version = TributaryRelease.version

    static let configuration = CommandConfiguration(
        commandName: "tributaryd",
        abstract: "Syncs Confluence spaces into searchable datastores and serves them over a Varlink socket.",
        discussion: """
            Runs in the foreground (as a systemd Type=notify service or from a terminal). State lives in \
            an LMDB environment under --state-dir; datastores are created over the control socket with \
            tributaryctl, or declared as files in datastores.d/ beside the configuration file.
            """,
        version: version)

    @Option(name: .long, help: "Directory holding the LMDB state (default: $STATE_DIRECTORY, the config's state_dir, or /var/lib/tributary).")
    var stateDir: String?

    @Option(name: .long, help: "Daemon configuration file (default: /etc/tributary/tributaryd.conf when it exists).")
    var config: String?

    @Option(name: .long, help: "Control socket path, used when systemd passes no socket (default: the config's socket, or /run/tributary/control.sock).")
    var socket: String?

    @Option(name: .customLong("mcp-listen"), help: ArgumentHelp(
        "Serve MCP over Streamable HTTP at http://ADDRESS:PORT/mcp, e.g. 127.0.0.1:8765 or [::1]:8765 (overrides the config's mcp_listen).",
        valueName: "address:port"))
    var mcpListen: String?

    @Option(name: .long, help: "Log destination: auto, journal or stderr (overrides the config; $TRIBUTARY_LOG overrides both).")
    var log: String?

    func run() async throws {
        let daemonConfiguration: DaemonConfiguration
        do {
            daemonConfiguration = try Self.loadConfiguration(explicit: config)
        } catch {
            FileHandle.standardError.write(Data("tributaryd: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        var mcpAddress: ListenAddress?
        if let text = mcpListen ?? daemonConfiguration.mcpListen {
            do {
                mcpAddress = try ListenAddress(parsing: text)
            } catch {
                let source = mcpListen != nil ? "--mcp-listen" : "mcp_listen in \(config ?? Self.defaultConfigPath)"
                FileHandle.standardError.write(Data("tributaryd: \(source): \(error)\n".utf8))
                throw ExitCode(78)  // EX_CONFIG
            }
        }
        let destination = LogDestination(rawValue: log ?? daemonConfiguration.log) ?? .auto
        LoggingSetup.bootstrap(identifier: "tributaryd", destination: destination)
        let logger = Logger(label: "tributaryd")
        let daemon = Daemon(
            configuration: daemonConfiguration,
            stateDirectory: stateDir ?? ProcessInfo.processInfo.environment["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init)
                ?? daemonConfiguration.stateDirectory ?? "/var/lib/tributary",
            socketPath: socket ?? daemonConfiguration.socketPath,
            configPath: config ?? (FileManager.default.fileExists(atPath: Self.defaultConfigPath) ? Self.defaultConfigPath : nil),
            logger: logger, mcpAddress: mcpAddress)
        do {
            try await daemon.run()
        } catch let error as DaemonError {
            logger.critical("\(error.message)")
            throw ExitCode(error.exitCode)
        }
    }

    static let defaultConfigPath = "/etc/tributary/tributaryd.conf"

    static func loadConfiguration(explicit: String?) throws -> DaemonConfiguration {
        if let explicit { return try DaemonConfiguration.load(path: explicit) }
        if FileManager.default.fileExists(atPath: defaultConfigPath) { return try DaemonConfiguration.load(path: defaultConfigPath) }
        return DaemonConfiguration()
    }
}

/// A start-up failure, with the exit status systemd shows.
struct DaemonError: Error {
    var message: String
    var exitCode: Int32
}

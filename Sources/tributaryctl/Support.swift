import ArgumentParser
import Control
import Foundation

/// The documented exit statuses (see `tributaryctl --help`).
enum ExitStatus: Int32 {
    case success = 0
    case error = 1
    case usage = 2
    case notFound = 3
    case permissionDenied = 4
    case unreachable = 5
    case watchEndedBadly = 6
    case timedOut = 7
    case unhealthy = 8
}

/// A failure with a message for stderr and an exit status.
struct CtlFailure: Error {
    var message: String
    var status: ExitStatus

    func exit() -> Never {
        Terminal.writeError("tributaryctl: \(message)\n")
        Foundation.exit(status.rawValue)
    }

    init(_ message: String, status: ExitStatus) {
        self.message = message
        self.status = status
    }

    init(_ error: ControlClientError) {
        message = error.description
        switch error {
        case .unreachable, .connectionLost: status = .unreachable
        case .protocolError: status = .error
        case .control(let control):
            switch control {
            case .noSuchDatastore, .noSuchPage, .noSuchSection, .noSuchKey: status = .notFound
            case .invalidParameter: status = .usage
            case .permissionDenied: status = .permissionDenied
            case .datastoreExists, .keyExists, .authenticationFailed, .insufficientCredits, .notReady, .internalError:
                status = .error
            }
        }
    }
}

/// Where the daemon listens; on the root command and on every subcommand, so `--socket` may
/// come before or after the subcommand's name.
struct ConnectionOptions: ParsableArguments {
    static let defaultSocket = ControlClient.defaultSocketPath

    @Option(name: .long, help: ArgumentHelp(
        "The daemon's control socket (default: $TRIBUTARY_SOCKET, else \(defaultSocket)).", valueName: "path"))
    var socket: String?

    var socketPath: String {
        if let socket { return socket }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TRIBUTARY_SOCKET"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return Self.defaultSocket
    }

    /// Connects, or fails with "cannot reach tributaryd at PATH: …" (exit status 5).
    func connect() async throws(CtlFailure) -> ControlClient {
        do {
            return try await ControlClient.connect(socketPath: socketPath)
        } catch {
            throw CtlFailure(error)
        }
    }
}

/// Connects and runs `body`, mapping client errors to exit statuses.
func withClient<T>(
    _ options: ConnectionOptions, _ body: (ControlClient) async throws(ControlClientError) -> T
) async throws(CtlFailure) -> T {
    let client = try await options.connect()
    defer { client.close() }
    do {
        return try await body(client)
    } catch {
        throw CtlFailure(error)
    }
}

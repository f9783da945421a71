import ArgumentParser
import Control
import Foundation
import InputLimits

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a datastore's state and progress as it changes.",
        discussion: """
        On a terminal, a progress bar with ETA is redrawn in place; otherwise (or with --json, one \
        status object per line) every change is printed on a line of its own. With --until ready, \
        exits 0 once the datastore is ready, 6 if it fails or is paused, 7 when --timeout elapses.
        Example: tributaryctl watch handbook --until ready --timeout 600
        """)

    enum Goal: String, ExpressibleByArgument, CaseIterable {
        case ready
    }

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Option(help: "Stop once the datastore reaches this state (ready).") var until: Goal?
    @Option(help: ArgumentHelp("Give up after this many seconds (exit status 7).", valueName: "seconds")) var timeout: Double?
    @Flag(help: "Print each status as one JSON line.") var json = false

    func validate() throws {
        try CtlRanges.check(timeout, Limits.watchTimeoutSeconds, option: "--timeout")
    }

    private enum Outcome {
        case reached
        case endedBadly(DatastoreStatus)
        case deleted
        case timedOut
    }

    func run() async throws {
        let client = try await connection.connect()
        defer { client.close() }
        let statuses: AsyncThrowingStream<DatastoreStatus, any Error>
        do {
            statuses = try await client.watch(name: name)
        } catch {
            throw CtlFailure(error)
        }
        let (goal, json) = (until, json)
        let outcome = try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                var display = WatchDisplay(json: json, live: !json && Terminal.stdoutIsTerminal)
                do {
                    for try await status in statuses {
                        try display.show(status)
                        guard goal == .ready else { continue }
                        if status.state == "ready" { return .reached }
                        if status.state == "failed" || status.state == "paused" { return .endedBadly(status) }
                    }
                    return .deleted
                } catch let error as ControlClientError {
                    if case .control(.noSuchDatastore) = error { return .deleted }
                    throw CtlFailure(error)
                }
            }
            if let timeout {
                group.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                    return .timedOut
                }
            }
            let first = try await group.next() ?? .deleted
            group.cancelAll()
            return first
        }
        if !json && Terminal.stdoutIsTerminal { Terminal.write("\n") }
        switch outcome {
        case .reached:
            return
        case .endedBadly(let status):
            let detail = status.message.map { ": \($0)" } ?? ""
            throw CtlFailure("\(status.name) is \(StateMark.of(status))\(detail)", status: .watchEndedBadly)
        case .deleted:
            throw CtlFailure("datastore '\(name)' does not exist (or was deleted)", status: .notFound)
        case .timedOut:
            throw CtlFailure("timed out after \(Format.duration(timeout ?? 0)) waiting for '\(name)'", status: .timedOut)
        }
    }
}

/// Prints statuses: redrawn in place on a terminal, one line per change otherwise.
struct WatchDisplay: Sendable {
    let json: Bool
    let live: Bool
    private var lastState: String?
    private var lastLine: String?

    init(json: Bool, live: Bool) {
        self.json = json
        self.live = live
    }

    mutating func show(_ status: DatastoreStatus) throws {
        if json {
            Terminal.write(try JSONOutput.line(status, nullMembers: JSONOutput.statusNulls))
            return
        }
        var line = "\(status.name) \(StateMark.of(status))"
        if let progress = status.progress, status.state == "syncing_metadata" || status.state == "processing" {
            line += "  " + Format.progress(progress)
        } else {
            line += "  \(status.pages.indexed)/\(status.pages.discovered) pages indexed"
        }
        if let message = status.message, status.state == "paused" || status.state == "failed" { line += " — \(message)" }
        if let waiting = status.waiting { line += " — " + WaitText.short(waiting) }
        if live {
            // A state change keeps its line; progress within a state redraws the current one.
            if let lastState, lastState != status.state { Terminal.write("\n") }
            Terminal.write("\r\u{1B}[2K" + line)
        } else if line != lastLine {
            Terminal.write(line + "\n")
        }
        lastState = status.state
        lastLine = line
    }
}

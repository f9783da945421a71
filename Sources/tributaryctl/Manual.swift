import ArgumentParser
import Control
import Foundation

/// `tributaryctl manual`: the man page, rendered in roff from the parser's own command tree, so
/// it always lists exactly the commands and options this binary has.
struct Manual: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the tributaryctl(1) man page (roff).",
        discussion: "Example: tributaryctl manual > /usr/local/share/man/man1/tributaryctl.1")

    func run() throws {
        Terminal.write(try ManualPage.render(dumpedHelp: TributaryCtl._dumpHelp()))
    }
}

/// The subset of ArgumentParser's tool-info JSON (`--experimental-dump-help`) the page uses.
struct ToolInfo: Decodable {
    struct Command: Decodable {
        var commandName: String
        var abstract: String?
        var discussion: String?
        var shouldDisplay: Bool?
        var subcommands: [Command]?
        var arguments: [Argument]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }

        var kind: String
        var shouldDisplay: Bool?
        var isOptional: Bool?
        var isRepeating: Bool?
        var names: [Name]?
        var valueName: String?
        var defaultValue: String?
        var abstract: String?
        var discussion: String?
    }

    var command: Command
}

enum ManualPage {
    static func render(dumpedHelp: String) throws -> String {
        let root = try JSONDecoder().decode(ToolInfo.self, from: Data(dumpedHelp.utf8)).command
        var page = """
            .TH TRIBUTARYCTL 1 "" "Tributary" "Tributary Manual"
            .SH NAME
            tributaryctl \\- \(escape(root.abstract ?? ""))
            .SH SYNOPSIS
            .B tributaryctl
            [\\fB\\-\\-socket\\fR \\fIpath\\fR] \\fIcommand\\fR [\\fIoptions\\fR]
            .SH DESCRIPTION

            """
        page += paragraphs(root.discussion ?? "")
        page += ".SH OPTIONS\n" + options(root.arguments ?? [])
        page += ".SH COMMANDS\n"
        for command in root.subcommands ?? [] {
            page += section(command, path: ["tributaryctl"])
        }
        page += """
            .SH ENVIRONMENT
            .TP
            .B TRIBUTARY_SOCKET
            The control socket when \\fB\\-\\-socket\\fR is not given.
            .SH FILES
            .TP
            .I \(ConnectionOptions.defaultSocket)
            The default control socket of tributaryd.
            .SH SEE ALSO
            .BR tributaryd (8)

            """
        return page
    }

    private static func section(_ command: ToolInfo.Command, path: [String]) -> String {
        guard command.shouldDisplay ?? true, command.commandName != "help" else { return "" }
        let fullPath = path + [command.commandName]
        var text = ".SS \"\(escape(fullPath.joined(separator: " ")))\"\n"
        text += escape(command.abstract ?? "") + "\n"
        let arguments = (command.arguments ?? []).filter { ($0.shouldDisplay ?? true) && !isHelp($0) }
        text += ".PP\n.B \(escape(fullPath.joined(separator: " ")))\n" + usage(arguments) + "\n"
        if let discussion = command.discussion, !discussion.isEmpty { text += ".PP\n" + paragraphs(discussion) }
        text += options(arguments)
        for subcommand in command.subcommands ?? [] {
            text += section(subcommand, path: fullPath)
        }
        return text
    }

    private static func isHelp(_ argument: ToolInfo.Argument) -> Bool {
        argument.names?.contains { $0.name == "help" } ?? false
    }

    private static func usage(_ arguments: [ToolInfo.Argument]) -> String {
        arguments.map { argument in
            var item = label(argument)
            if argument.isRepeating == true { item += " ..." }
            return argument.isOptional == true ? "[\(item)]" : item
        }.joined(separator: " ")
    }

    private static func label(_ argument: ToolInfo.Argument) -> String {
        let value = "\\fI\(escape(argument.valueName ?? "value"))\\fR"
        guard argument.kind != "positional" else { return value }
        let name = argument.names?.first { $0.kind == "long" } ?? argument.names?.first
        let dashes = name?.kind == "short" ? "\\-" : "\\-\\-"
        let flag = "\\fB\(dashes)\(escape(name?.name ?? ""))\\fR"
        return argument.kind == "option" ? "\(flag) \(value)" : flag
    }

    private static func options(_ arguments: [ToolInfo.Argument]) -> String {
        arguments.filter { ($0.shouldDisplay ?? true) && !isHelp($0) }.map { argument in
            var text = ".TP\n\(label(argument))\n\(escape(argument.abstract ?? ""))"
            if let defaultValue = argument.defaultValue, !defaultValue.isEmpty {
                text += " (default: \(escape(defaultValue)))"
            }
            return text + "\n"
        }.joined()
    }

    /// Blank-line-separated paragraphs; indented lines keep their line breaks.
    private static func paragraphs(_ text: String) -> String {
        text.components(separatedBy: "\n\n").map { paragraph in
            let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > 1 && lines.dropFirst().allSatisfy({ $0.hasPrefix(" ") }) {
                return escape(String(lines[0])) + "\n.nf\n" + lines.dropFirst().map { escape(String($0)) }.joined(separator: "\n") + "\n.fi\n"
            }
            return escape(paragraph) + "\n"
        }.joined(separator: ".PP\n")
    }

    /// roff-safe text: backslashes and hyphens escaped, no line starting with a control character.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") || $0.hasPrefix("'") ? "\\&" + $0 : String($0) }
            .joined(separator: "\n")
    }
}

/// `tributaryctl bench-search`: search latency through the socket, for `scripts/bench`.
struct BenchSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-search",
        abstract: "Measure search latency through the control socket (p50/p99 over COUNT calls).",
        discussion: "Example: tributaryctl bench-search handbook 'expense policy' 'vpn setup' --count 2000",
        shouldDisplay: false)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Argument(help: "Queries, used in turn (quote multi-word ones).") var queries: [String]
    @Option(help: "Measured calls.") var count = 1000
    @Option(help: "Unmeasured calls first.") var warmup = 50
    @Option(help: "Results per search.") var limit = 10
    @Flag(help: "Rank by words only, even where the datastore has embeddings (hybrid otherwise).") var lexical = false
    @Flag(help: "Print the figures as JSON.") var json = false

    func validate() throws {
        if queries.isEmpty { throw ValidationError("give at least one query") }
        if count < 1 || warmup < 0 { throw ValidationError("--count must be positive and --warmup not negative") }
    }

    struct Figures: Encodable {
        let calls: Int
        let p50Ms: Double
        let p99Ms: Double
        let meanMs: Double
        let maxMs: Double
        let callsPerSecond: Double
        let resultsPerCall: Double
    }

    func run() async throws {
        let (name, queries, count, warmup, limit, lexical) = (name, queries, count, warmup, limit, lexical)
        let request = { (index: Int) in
            SearchRequest(datastores: [name], query: queries[index % queries.count], limit: limit, lexical: lexical)
        }
        let figures = try await withClient(connection) { client throws(ControlClientError) -> Figures in
            for index in 0..<warmup {
                _ = try await client.search(request(index))
            }
            var samples: [Duration] = []
            samples.reserveCapacity(count)
            var results = 0
            let clock = ContinuousClock()
            let started = clock.now
            for index in 0..<count {
                let start = clock.now
                results += try await client.search(request(index)).count
                samples.append(clock.now - start)
            }
            let elapsed = clock.now - started
            let milliseconds = samples.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1e3 }.sorted()
            let rank = { (fraction: Double) in milliseconds[max(0, Int((fraction * Double(milliseconds.count)).rounded(.up)) - 1)] }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return Figures(
                calls: count, p50Ms: rank(0.5), p99Ms: rank(0.99),
                meanMs: milliseconds.reduce(0, +) / Double(count), maxMs: milliseconds.last ?? 0,
                callsPerSecond: Double(count) / max(seconds, 1e-9), resultsPerCall: Double(results) / Double(count))
        }
        if json {
            Terminal.write(try JSONOutput.render(figures))
        } else {
            Terminal.write(String(
                format: "search latency through %@ over %d calls: p50 %.3f ms, p99 %.3f ms, mean %.3f ms, max %.3f ms, %.0f calls/s\n",
                connection.socketPath, figures.calls, figures.p50Ms, figures.p99Ms, figures.meanMs, figures.maxMs,
                figures.callsPerSecond))
        }
    }
}

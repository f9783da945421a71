import ArgumentParser
import Control
import Foundation

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search a datastore; each result cites its page URL.",
        discussion: """
        With --json: {"results": [{"pageId", "title", "url", "anchor", "score", "snippet", \
        "headingPath"}, …]}. Matched terms in snippets are marked «like this».
        Example: tributaryctl search handbook "expense policy" --limit 5
        """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Argument(help: "The query (several words may be given unquoted).") var query: [String]
    @Option(help: "The number of results, 1 to 100.") var limit = 10
    @Flag(help: "Print the results as JSON.") var json = false

    func validate() throws {
        if query.isEmpty { throw ValidationError("give a query") }
        if !(1...100).contains(limit) { throw ValidationError("--limit must be between 1 and 100") }
    }

    func run() async throws {
        let (name, text, limit) = (name, query.joined(separator: " "), limit)
        let hits = try await withClient(connection) { client throws(ControlClientError) in
            try await client.search(name: name, query: text, limit: limit)
        }
        if json {
            Terminal.write(try JSONOutput.render(["results": hits], nullMembers: ["results[].anchor"]))
            return
        }
        guard !hits.isEmpty else {
            Terminal.write("No results for \"\(text)\" in \(name).\n")
            return
        }
        let emphasis = Terminal.stdoutIsTerminal
        var output = ""
        for (index, hit) in hits.enumerated() {
            output += "\(index + 1). \(hit.title)  (score \(String(format: "%.2f", hit.score)))\n"
            output += "   \(hit.url)\n"
            if !hit.headingPath.isEmpty { output += "   § \(hit.headingPath.joined(separator: " › "))\n" }
            var snippet = hit.snippet.replacingOccurrences(of: "\n", with: " ")
            if emphasis {
                snippet = snippet.replacingOccurrences(of: "«", with: "\u{1B}[1m").replacingOccurrences(of: "»", with: "\u{1B}[0m")
            }
            output += "   \(snippet)\n\n"
        }
        Terminal.write(output)
    }
}

struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain why a page is or is not in the index.",
        discussion: "Example: tributaryctl explain handbook 123456")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Argument(help: "The Confluence page id.") var pageId: String
    @Flag(help: "Print the explanation as JSON.") var json = false

    func run() async throws {
        let (name, pageId) = (name, pageId)
        let page = try await withClient(connection) { client throws(ControlClientError) in
            try await client.explain(name: name, pageId: pageId)
        }
        if json {
            Terminal.write(try JSONOutput.render(page, nullMembers: [
                "title", "reason", "versionSeen", "versionIndexed", "url", "lastProcessed",
            ]))
            return
        }
        var lines = ["page \(page.pageId)" + (page.title.map { " “\($0)”" } ?? "")]
        lines.append("  disposition: \(page.disposition)" + (page.reason.map { " (\($0))" } ?? ""))
        if let seen = page.versionSeen { lines.append("  version seen: \(seen)") }
        if let indexed = page.versionIndexed { lines.append("  version indexed: \(indexed)") }
        lines.append("  chunks: \(page.chunks)")
        if let url = page.url { lines.append("  url: \(url)") }
        if !page.unrenderedMacros.isEmpty { lines.append("  unrendered macros: \(page.unrenderedMacros.joined(separator: ", "))") }
        if let last = page.lastProcessed { lines.append("  last processed: \(last)") }
        Terminal.write(lines.joined(separator: "\n") + "\n")
    }
}

struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's health; exits 8 unless it is ok.")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print the health report as JSON.") var json = false

    func run() async throws {
        let health = try await withClient(connection) { client throws(ControlClientError) in try await client.health() }
        if json {
            Terminal.write(try JSONOutput.render(health))
        } else {
            let mark = health.status == "ok" ? "✔" : "✖"
            var lines = ["\(mark) \(health.status)  tributaryd \(health.version), up \(Format.duration(health.uptimeSeconds))"]
            lines.append("  engine heartbeat: \(String(format: "%.1f", health.engineHeartbeatAgeSeconds))s ago")
            let used = ByteCountFormatter.string(fromByteCount: health.storeUsedBytes, countStyle: .binary)
            let mapped = ByteCountFormatter.string(fromByteCount: health.storeMapBytes, countStyle: .binary)
            lines.append("  store: \(used) used of \(mapped) mapped")
            if !health.datastoresByState.isEmpty { lines.append("  datastores: \(Format.counts(health.datastoresByState))") }
            for problem in health.problems { lines.append("  problem: \(problem)") }
            Terminal.write(lines.joined(separator: "\n") + "\n")
        }
        if health.status != "ok" { throw CtlFailure("tributaryd is \(health.status)", status: .unhealthy) }
    }
}

struct Interface: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the daemon's Varlink interface definition (the documented contract).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The interface name.") var interface = ControlInterface.name

    func run() async throws {
        let interface = interface
        let text = try await withClient(connection) { client throws(ControlClientError) in
            try await client.interfaceDescription(interface)
        }
        Terminal.write(text.hasSuffix("\n") ? text : text + "\n")
    }
}

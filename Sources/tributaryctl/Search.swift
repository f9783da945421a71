import ArgumentParser
import Control
import Foundation

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search one, several or every datastore; each result cites its page URL.",
        discussion: """
        The first argument names the datastore, unless --datastore or --all say where to search \
        (then every argument is the query). Several datastores are merged by score. Filters: \
        --space (any of them), --label (pages carrying all of them), --modified-after (an ISO \
        8601 date or date-time, UTC when no zone is given). Where a datastore has chunk \
        embeddings (embedding_url in tributaryd.conf), ranking is hybrid (words and meaning, fused \
        by rank); --lexical ranks by words only.
        With --json: {"results": [{"pageId", "title", "url", "anchor", "score", "snippet", \
        "headingPath", "text", "datastore", "space", "labels", "lastModified", "version"}, …]}; \
        "text" is the whole passage as Markdown under its heading path. Matched terms in \
        snippets are marked «like this».
        Examples:
          tributaryctl search handbook "expense policy" --limit 5
          tributaryctl search --all --space HB --label finance --modified-after 2026-01-01 travel
        """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The datastore's name, then the query (several words may be given unquoted).",
                                 valueName: "name-and-query"))
    var words: [String] = []
    @Option(name: .customLong("datastore"), help: ArgumentHelp("Search this datastore (repeatable).", valueName: "name"))
    var datastores: [String] = []
    @Flag(help: "Search every datastore that has content.") var all = false
    @Option(name: .customLong("space"), help: ArgumentHelp("Only pages of this space (repeatable: any of them).", valueName: "key"))
    var spaces: [String] = []
    @Option(name: .customLong("label"), help: ArgumentHelp("Only pages carrying this label (repeatable: all of them).", valueName: "label"))
    var labels: [String] = []
    @Option(help: ArgumentHelp("Only pages modified at or after this date (2026-01-31 or 2026-01-31T12:00:00Z).", valueName: "date"))
    var modifiedAfter: String?
    @Option(help: "The number of results, 1 to 100.") var limit = 10
    @Flag(help: "Print each result's whole passage rather than its snippet.") var passages = false
    @Flag(help: "Rank by words only (BM25), even where the datastore has embeddings for hybrid search.") var lexical = false
    @Flag(help: "Print the results as JSON.") var json = false

    private var target: Target { Target(words: words, datastores: datastores, all: all) }

    func validate() throws {
        if all, !datastores.isEmpty { throw ValidationError("give --all or --datastore, not both") }
        if target.words.isEmpty {
            throw ValidationError(all || !datastores.isEmpty ? "give a query" : "give a datastore's name and a query")
        }
        if !(1...100).contains(limit) { throw ValidationError("--limit must be between 1 and 100") }
        if let date = modifiedAfter, ISODateTime.parse(date) == nil {
            throw ValidationError("--modified-after: '\(date)' is not an ISO 8601 date (2026-01-31) or date-time (2026-01-31T12:00:00Z)")
        }
    }

    func run() async throws {
        let names = target.names
        let request = SearchRequest(datastores: names, query: target.text, limit: limit, spaces: spaces,
                                    labels: labels, modifiedAfter: modifiedAfter, lexical: lexical)
        let hits = try await withClient(connection) { client throws(ControlClientError) in try await client.search(request) }
        if json {
            Terminal.write(try JSONOutput.render(["results": hits], nullMembers: [
                "results[].anchor", "results[].text", "results[].datastore", "results[].space", "results[].labels",
                "results[].lastModified", "results[].version",
            ]))
            return
        }
        guard !hits.isEmpty else {
            let place = names.isEmpty ? "any datastore" : names.joined(separator: ", ")
            Terminal.write("No results for \"\(request.query)\" in \(place).\n")
            return
        }
        Terminal.write(Self.render(hits, showDatastore: names.count != 1, passages: passages,
                                   emphasis: Terminal.stdoutIsTerminal))
    }

    /// Results for people: rank, title, score, URL, heading path, then the snippet (or the passage).
    static func render(_ hits: [SearchHit], showDatastore: Bool, passages: Bool, emphasis: Bool) -> String {
        var output = ""
        for (index, hit) in hits.enumerated() {
            let place = showDatastore ? hit.datastore.map { "  [\($0)]" } ?? "" : ""
            let kind = hit.contentType == "blogpost" ? "  (blog post)" : ""
            output += "\(index + 1). \(hit.title)\(kind)  (score \(String(format: "%.2f", hit.score)))\(place)\n"
            output += "   \(hit.url)\n"
            if let attachment = hit.attachment {
                // The passage is from a file attached to the page above: cite the file too.
                output += "   📎 \(attachment.title)" + (attachment.pageNumber.map { ", page \($0)" } ?? "") + "  \(attachment.url)\n"
            }
            if passages, let text = hit.text {
                output += text.split(separator: "\n", omittingEmptySubsequences: false).map { "   │ " + $0 }.joined(separator: "\n")
                output += "\n\n"
                continue
            }
            if !hit.headingPath.isEmpty { output += "   § \(hit.headingPath.joined(separator: " › "))\n" }
            var snippet = hit.snippet.replacingOccurrences(of: "\n", with: " ")
            if emphasis {
                snippet = snippet.replacingOccurrences(of: "«", with: "\u{1B}[1m").replacingOccurrences(of: "»", with: "\u{1B}[0m")
            }
            output += "   \(snippet)\n\n"
        }
        return output
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
        if !page.attachments.isEmpty {
            lines.append("  attachments:")
            for attachment in page.attachments {
                var line = "    \(attachment.title) (\(attachment.id), v\(attachment.version.map(String.init) ?? "?")): \(attachment.disposition)"
                if let reason = attachment.reason { line += " (\(reason))" }
                if attachment.chunks > 0 { line += ", \(attachment.chunks) chunks" }
                if let message = attachment.message { line += " — \(message)" }
                lines.append(line)
            }
        }
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

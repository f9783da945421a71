import ArgumentParser
import Control
import Foundation

/// `tributaryctl page NAME PAGE_ID|URL`.
struct Page: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a page's Markdown from the index, whole, one section, or a part.",
        discussion: """
        The page is named by its id or any URL of it (the URL a search result cites, with or \
        without #anchor, or a URL holding /pages/ID or pageId=ID). --section prints one section \
        with its subsections (the anchors are in --outline). --max-chars reads a long page in \
        parts: when text remains, a note on stderr gives the --offset of the next part. Lengths \
        and offsets count characters (Unicode code points).
        With --json: {"datastore", "pageId", "title", "url", "space", "labels", "version", \
        "lastModified", "outline": [{"anchor", "title", "level", "offset", "length"}, …], \
        "section", "text", "offset", "totalChars", "nextOffset"}.
        Examples:
          tributaryctl page handbook 123456 --outline
          tributaryctl page handbook https://example.atlassian.net/wiki/spaces/HB/pages/123456/Expenses --section Travel
          tributaryctl page handbook 123456 --max-chars 4000 --offset 4000 --json
        """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The datastore's name.") var name: String
    @Argument(help: ArgumentHelp("The page's id or URL.", valueName: "page-id-or-url")) var page: String
    @Option(help: ArgumentHelp("Only the section under this heading anchor, subsections included.", valueName: "anchor"))
    var section: String?
    @Option(help: ArgumentHelp("At most this many characters, 1 to \(ControlInterface.maxPageChars).", valueName: "n"))
    var maxChars: Int?
    @Option(help: ArgumentHelp("Start this many characters into the page (or section).", valueName: "n"))
    var offset = 0
    @Flag(help: "Print the page's details and heading outline instead of its text.") var outline = false
    @Flag(help: "Print the page as JSON.") var json = false

    func validate() throws {
        if page.allSatisfy(\.isWhitespace) { throw ValidationError("give a page id or URL") }
        if let maxChars, !(1...ControlInterface.maxPageChars).contains(maxChars) {
            throw ValidationError("--max-chars must be between 1 and \(ControlInterface.maxPageChars)")
        }
        if offset < 0 { throw ValidationError("--offset must not be negative") }
    }

    func run() async throws {
        let request = PageRequest(datastore: name, page: page, section: section, maxChars: maxChars, offset: offset)
        let content = try await withClient(connection) { client throws(ControlClientError) in try await client.page(request) }
        if json {
            Terminal.write(try JSONOutput.render(content, nullMembers: ["lastModified", "section", "nextOffset"]))
            return
        }
        if outline {
            Terminal.write(Self.details(content))
            return
        }
        Terminal.write(content.text)
        if let next = content.nextOffset {
            Terminal.writeError("tributaryctl: characters \(content.offset) to \(next) of \(content.totalChars) shown; "
                                + "the rest starts at --offset \(next)\n")
        }
    }

    /// The page's details, then its headings indented by level with anchor, offset and length.
    static func details(_ content: PageContent) -> String {
        var lines = ["\(content.title)  (page \(content.pageId), version \(content.version))"]
        if !content.url.isEmpty { lines.append("  url: \(content.url)") }
        lines.append("  space: \(content.space)")
        if !content.labels.isEmpty { lines.append("  labels: \(content.labels.joined(separator: ", "))") }
        if let modified = content.lastModified { lines.append("  last modified: \(modified)") }
        lines.append("  characters: \(content.totalChars)" + (content.section.map { " in section \($0)" } ?? ""))
        if content.outline.isEmpty {
            lines.append("  (no headings)")
        } else {
            lines.append("  outline:")
            for heading in content.outline {
                let indent = String(repeating: "  ", count: heading.level)
                lines.append("  \(indent)\(heading.title)  #\(heading.anchor)  [\(heading.offset)+\(heading.length)]")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

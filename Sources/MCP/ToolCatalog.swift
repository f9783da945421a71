import Control
import Varlink

/// A tool as `tools/list` shows it.
struct ToolDefinition: Sendable {
    let name: String
    let title: String
    let description: String
    /// The argument names the tool takes (the input schema's properties).
    let arguments: [String]
    let inputSchema: JSONValue
    let outputSchema: JSONValue

    /// The listing entry; revisions before 2025-06-18 know no titles or output schemas.
    func listing(_ revision: ProtocolRevision) -> JSONValue {
        var tool: [String: JSONValue] = [
            "name": .string(name),
            "description": .string(description),
            "inputSchema": inputSchema,
            // Every tool only reads Tributary's own index: no confirmation needed, nothing changes.
            "annotations": .object([
                "title": .string(title), "readOnlyHint": .bool(true), "destructiveHint": .bool(false),
                "idempotentHint": .bool(true), "openWorldHint": .bool(false),
            ]),
        ]
        if revision.hasStructuredContent {
            tool["title"] = .string(title)
            tool["outputSchema"] = outputSchema
        }
        return .object(tool)
    }
}

/// The four tools, in the order `tools/list` returns them (deterministic, as 2026-07-28 asks).
/// `search` and `fetch` have the names and {id, title, url, text} fields that ChatGPT
/// connectors and deep-research clients expect.
enum ToolCatalog {
    static let maxSearchLimit = 50
    static let defaultSearchLimit = 10

    static let all: [ToolDefinition] = [search, fetch, listDatastores, ask]

    static func named(_ name: String) -> ToolDefinition? {
        all.first { $0.name == name }
    }

    static let search = ToolDefinition(
        name: "search", title: "Search Confluence",
        description: """
            Full-text search of the team's Confluence pages as indexed by Tributary. Returns the best passages \
            (Markdown, under their heading path), each with the page title, a URL to cite (with the section's \
            #anchor), its datastore, space and last-modified time. Pass a result's `id` to `fetch` to read the \
            whole page. Without `datastore`, every datastore is searched and the results merged by score.
            """,
        arguments: ["query", "datastore", "limit", "space", "label", "modified_after"],
        inputSchema: JSONSchema.object(
            [
                "query": JSONSchema.string("What to look for: words or a question.", minLength: 1),
                "datastore": JSONSchema.string("Only this datastore (names: list_datastores). Default: all."),
                "limit": JSONSchema.integer(
                    "How many passages to return.", minimum: 1, maximum: maxSearchLimit, default: defaultSearchLimit),
                "space": JSONSchema.string("Only pages of this Confluence space key (e.g. ENG)."),
                "label": JSONSchema.string("Only pages carrying this Confluence label."),
                "modified_after": JSONSchema.string(
                    "Only pages last modified at or after this ISO 8601 date or date-time (UTC unless a zone is given)."),
            ], required: ["query"], closed: true),
        outputSchema: JSONSchema.object(
            [
                "results": JSONSchema.array(
                    JSONSchema.object(
                        [
                            "id": JSONSchema.string("DATASTORE/PAGEID (DATASTORE/attachment:ID for a passage of an attached file): what fetch takes."),
                            "title": JSONSchema.string("The page title."),
                            "url": JSONSchema.string("The page URL, with #anchor of the passage's section when it has one."),
                            "text": JSONSchema.string("The passage as Markdown."),
                            "datastore": JSONSchema.string(),
                            "space": JSONSchema.nullable("string", "The Confluence space key."),
                            "heading_path": JSONSchema.array(JSONSchema.string(), "Headings above the passage, outermost first."),
                            "last_modified": JSONSchema.nullable("string", "ISO 8601 UTC time of the indexed version."),
                            "score": JSONSchema.number("Relevance; higher is better."),
                            "content_type": JSONSchema.string(
                                "What the passage is from: a page, a blog post, or a file attached to the page.",
                                oneOf: ["page", "blogpost", "attachment"]),
                            "attachment": attachmentSchema,
                        ],
                        required: ["id", "title", "url", "text", "datastore", "space", "heading_path", "last_modified", "score",
                                   "content_type"]))
            ], required: ["results"]))

    /// A passage's attached file, or null for a passage of the page itself.
    static let attachmentSchema: JSONValue = .object([
        "type": .array([.string("object"), .string("null")]),
        "description": .string("When the passage is from a file attached to the page (title and url above are the page's): the file, its download URL (#page=N for a PDF page)."),
        "properties": .object([
            "id": JSONSchema.string(), "title": JSONSchema.string("The file name."), "url": JSONSchema.string("The download URL."),
            "media_type": JSONSchema.nullable("string"), "page_number": JSONSchema.nullable("integer", "The PDF page."),
        ]),
    ])

    static let fetch = ToolDefinition(
        name: "fetch", title: "Read a Confluence page",
        description: """
            Reads a page from Tributary's index as Markdown, with its title, URL, space, labels, version and \
            heading outline. `id` is a search result's id (DATASTORE/PAGEID; add #ANCHOR from the outline for one \
            section), or the page's URL. Long pages can be read in parts: pass `max_chars`, then call again with \
            `offset` set to `metadata.next_offset` until it is null.
            """,
        arguments: ["id", "max_chars", "offset"],
        inputSchema: JSONSchema.object(
            [
                "id": JSONSchema.string("DATASTORE/PAGEID, DATASTORE/PAGEID#ANCHOR, or the page's URL.", minLength: 1),
                "max_chars": JSONSchema.integer("Return at most this many characters of text.", minimum: 1),
                "offset": JSONSchema.integer("Start at this character of the text.", minimum: 0, default: 0),
            ], required: ["id"], closed: true),
        outputSchema: JSONSchema.object(
            [
                "id": JSONSchema.string("DATASTORE/PAGEID (#ANCHOR when one section was read)."),
                "title": JSONSchema.string(),
                "url": JSONSchema.string(),
                "text": JSONSchema.string("The page (or section) text as Markdown, from metadata.offset."),
                "metadata": JSONSchema.object(
                    [
                        "datastore": JSONSchema.string(),
                        "page_id": JSONSchema.string(),
                        "space": JSONSchema.string(),
                        "labels": JSONSchema.array(JSONSchema.string()),
                        "version": JSONSchema.integer("The Confluence version indexed."),
                        "last_modified": JSONSchema.nullable("string", "ISO 8601 UTC time of that version."),
                        "section": JSONSchema.nullable("string", "The anchor of the section read, if one was."),
                        "outline": JSONSchema.array(
                            JSONSchema.object(
                                [
                                    "anchor": JSONSchema.string("Append as #ANCHOR to the id to read this section."),
                                    "title": JSONSchema.string(),
                                    "level": JSONSchema.integer(),
                                    "offset": JSONSchema.integer(),
                                    "length": JSONSchema.integer(),
                                ], required: ["anchor", "title", "level", "offset", "length"]),
                            "The page's headings with their character offsets."),
                        "offset": JSONSchema.integer("Where text starts."),
                        "total_chars": JSONSchema.integer("Characters in the whole page (or section) text."),
                        "next_offset": JSONSchema.nullable("integer", "Pass as offset to read on; null at the end."),
                    ],
                    required: [
                        "datastore", "page_id", "space", "labels", "version", "last_modified", "section", "outline", "offset",
                        "total_chars", "next_offset",
                    ]),
            ], required: ["id", "title", "url", "text", "metadata"]))

    static let listDatastores = ToolDefinition(
        name: "list_datastores", title: "List datastores",
        description: """
            Lists Tributary's datastores (each a synced set of Confluence spaces): name, sync state, page counts, \
            last completed sync and whether it can be searched yet. Use a name as `datastore` in search and ask.
            """,
        arguments: [],
        inputSchema: JSONSchema.object([:], required: [], closed: true),
        outputSchema: JSONSchema.object(
            [
                "datastores": JSONSchema.array(
                    JSONSchema.object(
                        [
                            "name": JSONSchema.string(),
                            "state": JSONSchema.string("syncing_metadata, processing, ready, paused or failed."),
                            "searchable": JSONSchema.boolean("True once it has content to search."),
                            "pages": JSONSchema.object(
                                [
                                    "discovered": JSONSchema.integer(), "indexed": JSONSchema.integer(),
                                    "skipped": JSONSchema.integer(), "failed": JSONSchema.integer(),
                                    "pending": JSONSchema.integer(),
                                ], required: ["discovered", "indexed", "skipped", "failed", "pending"]),
                            "last_sync": JSONSchema.nullable("string", "ISO 8601 UTC end of the last completed sync."),
                            "next_sync": JSONSchema.nullable("string"),
                            "url": JSONSchema.string("The Confluence the datastore syncs."),
                            "reason": JSONSchema.nullable("string", "Why it is paused or failed."),
                            "message": JSONSchema.nullable("string"),
                        ],
                        required: ["name", "state", "searchable", "pages", "last_sync", "next_sync", "url", "reason", "message"]))
            ], required: ["datastores"]))

    static let ask = ToolDefinition(
        name: "ask", title: "Ask Confluence",
        description: """
            Answers a question from the best passages of the index, citing them as [n]; each citation gives the \
            page title and URL. `mode` is "generated" when a language model wrote the answer, "extractive" when \
            the answer is the best passages themselves (no model configured or reachable; `reason` says why).
            """,
        arguments: ["question", "datastore"],
        inputSchema: JSONSchema.object(
            [
                "question": JSONSchema.string("The question, in plain words.", minLength: 1),
                "datastore": JSONSchema.string("Only this datastore. Default: all."),
            ], required: ["question"], closed: true),
        outputSchema: JSONSchema.object(
            [
                "answer": JSONSchema.string("The answer; [n] cites citations[n]."),
                "citations": JSONSchema.array(
                    JSONSchema.object(
                        [
                            "n": JSONSchema.integer(), "title": JSONSchema.string(), "url": JSONSchema.string(),
                            "page_id": JSONSchema.string(), "datastore": JSONSchema.string(),
                        ], required: ["n", "title", "url", "page_id", "datastore"])),
                "mode": JSONSchema.string("generated or extractive."),
                "reason": JSONSchema.nullable("string", "Why the answer is extractive."),
                "model": JSONSchema.nullable("string", "The model that wrote a generated answer."),
            ], required: ["answer", "citations", "mode", "reason", "model"]))
}

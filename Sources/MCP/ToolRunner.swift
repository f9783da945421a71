import Foundation
import Control
import Varlink

/// What a tool call produced: the structured result, or a sentence for an `isError` result.
enum ToolOutcome: Sendable, Equatable {
    case success(JSONValue)
    case failure(String)
}

/// Runs the four tools over a knowledge port and shapes their results.
struct ToolRunner: Sendable {
    let knowledge: any MCPKnowledge

    func run(_ tool: ToolDefinition, arguments: [String: JSONValue]) async -> ToolOutcome {
        do throws(ToolFailure) {
            let input: ToolArguments
            do {
                input = try ToolArguments(arguments, allowed: tool.arguments)
            } catch {
                throw .input(error)
            }
            switch tool.name {
            case ToolCatalog.search.name: return .success(try await search(input))
            case ToolCatalog.fetch.name: return .success(try await fetch(input))
            case ToolCatalog.listDatastores.name: return .success(try await listDatastores())
            case ToolCatalog.ask.name: return .success(try await ask(input))
            default: return .failure("no tool named \(tool.name)")
            }
        } catch {
            return .failure(error.message)
        }
    }

    private func search(_ input: ToolArguments) async throws(ToolFailure) -> JSONValue {
        let request = try ToolFailure.reading {
            () throws(ToolInputError) in
            SearchRequest(
                datastores: try input.string("datastore").map { [$0] } ?? [],
                query: try input.requiredString("query"),
                limit: try input.integer("limit", in: 1...ToolCatalog.maxSearchLimit) ?? ToolCatalog.defaultSearchLimit,
                spaces: try input.string("space").map { [$0] } ?? [],
                labels: try input.string("label").map { [$0] } ?? [],
                modifiedAfter: try input.string("modified_after"))
        }
        let hits = try await ToolFailure.calling { () throws(MCPToolError) in try await knowledge.search(request) }
        let onlyDatastore = request.datastores.count == 1 ? request.datastores[0] : nil
        return .object(["results": .array(hits.map { ToolResults.searchResult($0, datastore: onlyDatastore) })])
    }

    private func fetch(_ input: ToolArguments) async throws(ToolFailure) -> JSONValue {
        let (reference, maxChars, offset) = try ToolFailure.reading {
            () throws(ToolInputError) -> (PageReference, Int?, Int) in
            let id = try input.requiredString("id")
            guard let reference = PageReference(parsing: id) else {
                throw ToolInputError(message: "id must be DATASTORE/PAGEID, DATASTORE/PAGEID#ANCHOR or a page URL, not \(id)")
            }
            return (reference, try input.integer("max_chars", in: 1...Int.max), try input.integer("offset", in: 0...Int.max) ?? 0)
        }
        let page = try await PageLookup(knowledge: knowledge).read(reference, maxChars: maxChars, offset: offset)
        return ToolResults.page(page)
    }

    private func listDatastores() async throws(ToolFailure) -> JSONValue {
        let statuses = try await ToolFailure.calling { () throws(MCPToolError) in try await knowledge.datastores() }
        return .object(["datastores": .array(statuses.map(ToolResults.datastore))])
    }

    private func ask(_ input: ToolArguments) async throws(ToolFailure) -> JSONValue {
        let request = try ToolFailure.reading {
            () throws(ToolInputError) in
            AskRequest(datastores: try input.string("datastore").map { [$0] } ?? [], question: try input.requiredString("question"))
        }
        let answer = try await ToolFailure.calling { () throws(MCPToolError) in try await knowledge.ask(request) }
        return ToolResults.answer(answer)
    }
}

/// Why a tool call failed, as the model reads it.
enum ToolFailure: Error {
    case input(ToolInputError)
    case knowledge(MCPToolError)

    var message: String {
        switch self {
        case .input(let error): error.message
        case .knowledge(.unavailable(let reason)): reason
        case .knowledge(.control(let error)): error.explanation
        }
    }

    static func reading<T>(_ body: () throws(ToolInputError) -> T) throws(ToolFailure) -> T {
        do { return try body() } catch { throw .input(error) }
    }

    static func calling<T>(_ body: () async throws(MCPToolError) -> T) async throws(ToolFailure) -> T {
        do { return try await body() } catch { throw .knowledge(error) }
    }
}

/// Finds a page for `fetch`: directly when the id names its datastore, otherwise by asking each
/// datastore in turn (those on the URL's host first).
struct PageLookup: Sendable {
    let knowledge: any MCPKnowledge

    func read(_ reference: PageReference, maxChars: Int?, offset: Int) async throws(ToolFailure) -> PageContent {
        if let datastore = reference.datastore {
            return try await ToolFailure.calling { () throws(MCPToolError) in
                try await knowledge.page(
                    PageRequest(datastore: datastore, page: reference.page, section: reference.section, maxChars: maxChars, offset: offset))
            }
        }
        let statuses = try await ToolFailure.calling { () throws(MCPToolError) in try await knowledge.datastores() }
        let host = reference.host
        let candidates = statuses.filter { host != nil && PageReference(datastore: nil, page: $0.url).host == host }
            + statuses.filter { host == nil || PageReference(datastore: nil, page: $0.url).host != host }
        for status in candidates {
            do {
                return try await knowledge.page(
                    PageRequest(datastore: status.name, page: reference.page, section: reference.section, maxChars: maxChars, offset: offset))
            } catch .control(.noSuchPage), .control(.noSuchDatastore), .control(.notReady), .control(.invalidParameter) {
                continue  // not this datastore's page (or not one it can read): ask the next
            } catch {
                throw .knowledge(error)
            }
        }
        throw .input(
            ToolInputError(
                message: "no datastore has the page \(reference.page); use an id from search (DATASTORE/PAGEID)"))
    }
}

/// The tools' structured results, in the snake_case fields the output schemas declare.
enum ToolResults {
    static func searchResult(_ hit: SearchHit, datastore fallback: String?) -> JSONValue {
        let datastore = hit.datastore ?? fallback ?? ""
        // A passage of an attached file: fetch reads the file's text by this id (`attachment:ID`).
        let target = hit.attachment.map { "attachment:" + $0.id } ?? hit.pageId
        var result: [String: JSONValue] = [
            "id": .string(datastore.isEmpty ? target : PageReference.id(datastore: datastore, pageId: target)),
            "title": .string(hit.title),
            "url": .string(hit.url),
            "text": .string(hit.text ?? unmarked(hit.snippet)),
            "datastore": .string(datastore),
            "space": hit.space.map(JSONValue.string) ?? .null,
            "heading_path": .array(hit.headingPath.map(JSONValue.string)),
            "last_modified": hit.lastModified.map(JSONValue.string) ?? .null,
            "score": .double(hit.score),
            "content_type": .string(hit.contentType ?? "page"),
        ]
        // Only for a passage of an attached file (a page's passage keeps its shape).
        if let file = hit.attachment { result["attachment"] = attachment(file) }
        return .object(result)
    }

    /// The file a passage comes from (the result's title and URL are its page's).
    static func attachment(_ citation: AttachmentCitation) -> JSONValue {
        .object([
            "id": .string(citation.id), "title": .string(citation.title), "url": .string(citation.url),
            "media_type": citation.mediaType.map(JSONValue.string) ?? .null,
            "page_number": citation.pageNumber.map { .integer(Int64($0)) } ?? .null,
        ])
    }

    static func page(_ page: PageContent) -> JSONValue {
        let outline = page.outline.map { section in
            JSONValue.object([
                "anchor": .string(section.anchor), "title": .string(section.title), "level": .integer(Int64(section.level)),
                "offset": .integer(Int64(section.offset)), "length": .integer(Int64(section.length)),
            ])
        }
        return .object([
            "id": .string(PageReference.id(datastore: page.datastore, pageId: page.pageId, section: page.section)),
            "title": .string(page.title),
            "url": .string(page.url),
            "text": .string(page.text),
            "metadata": .object([
                "datastore": .string(page.datastore),
                "page_id": .string(page.pageId),
                "space": .string(page.space),
                "labels": .array(page.labels.map(JSONValue.string)),
                "version": .integer(Int64(page.version)),
                "last_modified": page.lastModified.map(JSONValue.string) ?? .null,
                "section": page.section.map(JSONValue.string) ?? .null,
                "outline": .array(outline),
                "offset": .integer(Int64(page.offset)),
                "total_chars": .integer(Int64(page.totalChars)),
                "next_offset": page.nextOffset.map { .integer(Int64($0)) } ?? .null,
            ]),
        ])
    }

    static func datastore(_ status: DatastoreStatus) -> JSONValue {
        .object([
            "name": .string(status.name),
            "state": .string(status.state),
            "searchable": .bool(status.searchable),
            "pages": .object([
                "discovered": .integer(Int64(status.pages.discovered)), "indexed": .integer(Int64(status.pages.indexed)),
                "skipped": .integer(Int64(status.pages.skipped)), "failed": .integer(Int64(status.pages.failed)),
                "pending": .integer(Int64(status.pages.pending)),
            ]),
            "last_sync": status.lastSyncCompleted.map(JSONValue.string) ?? .null,
            "next_sync": status.nextSync.map(JSONValue.string) ?? .null,
            "url": .string(status.url),
            "reason": status.reason.map(JSONValue.string) ?? .null,
            "message": status.message.map(JSONValue.string) ?? .null,
        ])
    }

    static func answer(_ answer: AskAnswer) -> JSONValue {
        .object([
            "answer": .string(answer.answer),
            "citations": .array(
                answer.citations.map { citation in
                    var cited: [String: JSONValue] = [
                        "n": .integer(Int64(citation.n)), "title": .string(citation.title), "url": .string(citation.url),
                        "page_id": .string(citation.pageId), "datastore": .string(citation.datastore),
                    ]
                    if let file = citation.attachment { cited["attachment"] = attachment(file) }
                    return JSONValue.object(cited)
                }),
            "mode": .string(answer.mode),
            "reason": answer.reason.map(JSONValue.string) ?? .null,
            "model": answer.model.map(JSONValue.string) ?? .null,
        ])
    }

    /// A snippet without its «match» marks, for daemons that send no passage text.
    static func unmarked(_ snippet: String) -> String {
        snippet.replacingOccurrences(of: "«", with: "").replacingOccurrences(of: "»", with: "")
    }
}

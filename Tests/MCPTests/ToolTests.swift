import Control
import Foundation
import Testing
import Varlink

@testable import MCP

@Suite("MCP tools: listing, structured results and failures")
struct ToolTests {
    @Test("tools/list: four tools in a fixed order, each with an input and an output schema; 2026-07-28 adds caching hints")
    func listing() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        let modern = try #require(try await exchange(server, modernRequest(1, "tools/list"))?["result"])
        let tools = try #require(modern["tools"]?.arrayValue)
        #expect(tools.map { $0["name"] } == ["search", "fetch", "list_datastores", "ask"].map(JSONValue.string))
        for tool in tools {
            #expect(tool["inputSchema"]?["type"] == .string("object"))
            #expect(tool["outputSchema"]?["type"] == .string("object"))
            #expect(tool["description"]?.stringValue?.isEmpty == false)
            #expect(tool["annotations"]?["readOnlyHint"] == .bool(true))
        }
        #expect(tools[0]["inputSchema"]?["required"] == .array([.string("query")]))
        #expect(tools[0]["inputSchema"]?["properties"]?["limit"]?["maximum"] == .integer(50))
        #expect(tools[1]["inputSchema"]?["required"] == .array([.string("id")]))
        #expect(modern["resultType"] == .string("complete"))
        #expect(modern["cacheScope"] == .string("public"))
        #expect(modern["ttlMs"]?.integerValue == 600_000)

        let old = Fixtures.server(Fixtures.knowledge())
        _ = try await exchange(old, request(1, "initialize", #"{"protocolVersion":"2024-11-05","capabilities":{}}"#))
        let oldTools = try #require(try await exchange(old, request(2, "tools/list"))?["result"]?["tools"]?.arrayValue)
        #expect(oldTools.count == 4)
        #expect(oldTools.allSatisfy { $0["outputSchema"] == nil && $0["inputSchema"] != nil })
    }

    @Test("search: passages with id, url, text, datastore, space, heading path, time and score; the text block is the same JSON")
    func search() async throws {
        let knowledge = Fixtures.knowledge()
        let server = Fixtures.server(knowledge)
        let result = try await callTool(
            server, "search", #"{"query":"rotate credentials","datastore":"handbook","limit":3,"space":"HB","label":"runbook","modified_after":"2026-01-01"}"#)
        #expect(result["isError"] == nil)
        let structured = try #require(result["structuredContent"])
        let first = try #require(structured["results"]?.arrayValue?.first)
        #expect(first["id"] == .string("handbook/300033"))
        #expect(first["title"] == .string("Runbook: PostgreSQL"))
        #expect(first["url"] == .string(Fixtures.hit.url))
        #expect(first["text"] == .string(Fixtures.hit.text!))
        #expect(first["datastore"] == .string("handbook"))
        #expect(first["space"] == .string("HB"))
        #expect(first["heading_path"] == .array(Fixtures.hit.headingPath.map(JSONValue.string)))
        #expect(first["last_modified"] == .string("2026-11-30T10:00:00Z"))
        #expect(first["score"]?.doubleValue == 14.9)
        let text = try #require(result["content"]?.arrayValue?.first)
        #expect(text["type"] == .string("text"))
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data((text["text"]?.stringValue ?? "").utf8)) == structured)
        let sent = try #require(knowledge.snapshot.searches.first)
        #expect(sent == SearchRequest(datastores: ["handbook"], query: "rotate credentials", limit: 3, spaces: ["HB"], labels: ["runbook"], modifiedAfter: "2026-01-01"))
    }

    @Test("search defaults: every datastore, 10 results; a hit without passage text falls back to the unmarked snippet")
    func searchDefaults() async throws {
        let knowledge = Fixtures.knowledge()
        var bare = Fixtures.hit
        bare.text = nil
        bare.datastore = nil
        bare.space = nil
        bare.lastModified = nil
        knowledge.update { $0.hits = [bare] }
        let server = Fixtures.server(knowledge)
        let result = try await callTool(server, "search", #"{"query":"x"}"#)
        let first = try #require(result["structuredContent"]?["results"]?.arrayValue?.first)
        #expect(first["text"] == .string("Rotate the database …"))
        #expect(first["space"] == .null)
        #expect(first["last_modified"] == .null)
        #expect(knowledge.snapshot.searches.first == SearchRequest(query: "x", limit: 10))
    }

    @Test("fetch: by id (whole, one section, in parts that reassemble), by URL and by bare page id")
    func fetch() async throws {
        let knowledge = Fixtures.knowledge()
        let server = Fixtures.server(knowledge)
        let whole = try #require(try await callTool(server, "fetch", #"{"id":"handbook/300033"}"#)["structuredContent"])
        let text = try #require(whole["text"]?.stringValue)
        #expect(whole["id"] == .string("handbook/300033"))
        #expect(whole["title"] == .string("Runbook: PostgreSQL"))
        #expect(whole["url"] == .string(Fixtures.page.url))
        let metadata = try #require(whole["metadata"])
        #expect(metadata["datastore"] == .string("handbook"))
        #expect(metadata["labels"] == .array([.string("runbook"), .string("database")]))
        #expect(metadata["version"] == .integer(7))
        #expect(metadata["outline"]?.arrayValue?.first?["anchor"] == .string("Rotate-the-database-credentials"))
        #expect(metadata["total_chars"]?.integerValue == Int64(text.unicodeScalars.count))
        #expect(metadata["next_offset"] == .null)

        var parts: [String] = []
        var offset: Int64? = 0
        while let start = offset, parts.count < 100 {
            let part = try #require(try await callTool(server, "fetch", #"{"id":"handbook/300033","max_chars":37,"offset":\#(start)}"#)["structuredContent"])
            parts.append(part["text"]?.stringValue ?? "")
            #expect(part["metadata"]?["offset"]?.integerValue == start)
            offset = part["metadata"]?["next_offset"]?.integerValue
        }
        #expect(parts.count > 1)
        #expect(parts.joined() == text)

        let section = try #require(try await callTool(server, "fetch", #"{"id":"handbook/300033#Rotate-the-database-credentials"}"#)["structuredContent"])
        #expect(section["id"] == .string("handbook/300033#Rotate-the-database-credentials"))
        #expect(knowledge.snapshot.pageRequests.last?.section == "Rotate-the-database-credentials")

        // A URL names no datastore: the one on the URL's host is asked first, and answers.
        let byURL = try await callTool(server, "fetch", #"{"id":"https://WIKI.example.com/wiki/spaces/HB/pages/300033/Runbook#Rotate-the-database-credentials"}"#)
        #expect(byURL["structuredContent"]?["id"] == .string("handbook/300033#Rotate-the-database-credentials"))
        let asked = knowledge.snapshot.pageRequests.last
        #expect(asked?.datastore == "handbook")
        #expect(asked?.page == "https://WIKI.example.com/wiki/spaces/HB/pages/300033/Runbook")

        // A bare page id is looked for in every datastore; "other" has no such page.
        knowledge.update { $0.pages = ["other/42": Fixtures.page] }
        let bare = try await callTool(server, "fetch", #"{"id":"42"}"#)
        #expect(bare["isError"] == nil)
        #expect(knowledge.snapshot.pageRequests.suffix(2).map(\.datastore) == ["handbook", "other"])
    }

    @Test("list_datastores and ask return their structured shapes")
    func datastoresAndAsk() async throws {
        let knowledge = Fixtures.knowledge()
        let server = Fixtures.server(knowledge)
        let listed = try #require(try await callTool(server, "list_datastores", "{}")["structuredContent"]?["datastores"]?.arrayValue)
        #expect(listed.count == 2)
        #expect(listed[0]["name"] == .string("handbook"))
        #expect(listed[0]["searchable"] == .bool(true))
        #expect(listed[0]["pages"]?["indexed"] == .integer(49))
        #expect(listed[0]["last_sync"] == .string("2026-12-01T00:05:00Z"))
        #expect(listed[1]["last_sync"] == .null)
        #expect(listed[1]["pages"]?["pending"] == .integer(8))

        let answer = try #require(try await callTool(server, "ask", #"{"question":"How are credentials rotated?","datastore":"handbook"}"#)["structuredContent"])
        #expect(answer["answer"] == .string("Use Vault's database engine [1]."))
        #expect(answer["mode"] == .string("extractive"))
        #expect(answer["reason"] == .string("no model is configured"))
        #expect(answer["model"] == .null)
        let citation = try #require(answer["citations"]?.arrayValue?.first)
        #expect(citation == .object([
            "n": .integer(1), "title": .string("Runbook: PostgreSQL"), "url": .string(Fixtures.hit.url),
            "page_id": .string("300033"), "datastore": .string("handbook"),
        ]))
        #expect(knowledge.snapshot.asks.first == AskRequest(datastores: ["handbook"], question: "How are credentials rotated?"))
    }

    @Test("Failures are isError results the model can read: bad arguments, an unreachable daemon, a control error")
    func failures() async throws {
        let knowledge = Fixtures.knowledge()
        let server = Fixtures.server(knowledge)
        let badArguments: [(String, String, String)] = [
            ("search", #"{}"#, "query is required"),
            ("search", #"{"query":"  "}"#, "query is required"),
            ("search", #"{"query":"x","limit":0}"#, "limit must be an integer between 1 and 50"),
            ("search", #"{"query":"x","limit":"ten"}"#, "limit must be an integer"),
            ("search", #"{"query":"x","datastores":["a"]}"#, "unknown argument datastores"),
            ("fetch", #"{"id":"a/b/c"}"#, "id must be DATASTORE/PAGEID"),
            ("fetch", #"{"id":"handbook/300033","offset":-1}"#, "offset must be an integer at least 0"),
            ("fetch", #"{"id":"handbook/999"}"#, "datastore 'handbook' has no page 999"),
            ("fetch", #"{"id":"https://nowhere.example/x"}"#, "no datastore has the page"),
            ("ask", #"{"question":7}"#, "question must be a string"),
            ("list_datastores", #"{"verbose":true}"#, "unknown argument verbose"),
        ]
        for (tool, arguments, message) in badArguments {
            let result = try await callTool(server, tool, arguments)
            #expect(result["isError"] == .bool(true), "\(tool) \(arguments)")
            #expect(result["structuredContent"] == nil)
            #expect(result["resultType"] == .string("complete"))
            let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains(message), "\(tool) \(arguments): \(text)")
        }
        knowledge.update { $0.failure = .unavailable("tributaryd is unreachable (cannot reach tributaryd at /run/x.sock)") }
        for (tool, arguments) in [("search", #"{"query":"x"}"#), ("fetch", #"{"id":"handbook/1"}"#), ("list_datastores", "{}"), ("ask", #"{"question":"x"}"#)] {
            let result = try await callTool(server, tool, arguments)
            #expect(result["isError"] == .bool(true), "\(tool)")
            #expect(result["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("tributaryd is unreachable") == true, "\(tool): \(result)")
        }
        knowledge.update { $0.failure = .control(.insufficientCredits(neededMillicredits: 5_000, balanceMillicredits: 0)) }
        let refused = try await callTool(server, "ask", #"{"question":"x"}"#)
        #expect(refused["isError"] == .bool(true))
        #expect(refused["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("insufficient credits") == true)
    }

    @Test("Page references: DATASTORE/PAGEID[#ANCHOR], URLs and bare ids")
    func pageReferences() {
        #expect(PageReference(parsing: "handbook/300033") == PageReference(datastore: "handbook", page: "300033"))
        #expect(PageReference(parsing: " hb.v2/1#Intro%20x ") == PageReference(datastore: "hb.v2", page: "1", section: "Intro x"))
        #expect(PageReference(parsing: "300033#a") == PageReference(datastore: nil, page: "300033", section: "a"))
        #expect(PageReference(parsing: "https://x.example/wiki/pages/1#s")?.section == "s")
        #expect(PageReference(parsing: "https://x.example:8443/wiki/pages/1")?.host == "x.example")
        #expect(PageReference(parsing: "handbook/300033")?.host == nil)
        for invalid in ["", "  ", "/1", "a/", "a/b/c"] { #expect(PageReference(parsing: invalid) == nil, "\(invalid)") }
        #expect(PageReference.id(datastore: "hb", pageId: "1", section: "x") == "hb/1#x")
        #expect(PageReference.id(datastore: "hb", pageId: "1") == "hb/1")
    }
}

import Control
import Foundation
import Logging
import Synchronization
import Testing
import Varlink

@testable import MCP

/// An in-memory knowledge port: canned answers, recorded requests, optional failures and a
/// gate that holds `search` until opened.
final class FakeKnowledge: MCPKnowledge {
    struct State {
        var hits: [SearchHit] = []
        var pages: [String: PageContent] = [:]  // "datastore/pageId" → page
        var statuses: [DatastoreStatus] = []
        var answer = AskAnswer(answer: "", citations: [], mode: "extractive")
        var failure: MCPToolError?
        var searches: [SearchRequest] = []
        var pageRequests: [PageRequest] = []
        var asks: [AskRequest] = []
    }

    let state = Mutex(State())
    let gate: Gate?

    init(gate: Gate? = nil) {
        self.gate = gate
    }

    func update(_ body: (inout State) -> Void) {
        state.withLock { body(&$0) }
    }

    var snapshot: State { state.withLock { $0 } }

    func search(_ request: SearchRequest) async throws(MCPToolError) -> [SearchHit] {
        await gate?.wait()
        let (hits, failure) = state.withLock { state in
            state.searches.append(request)
            return (state.hits, state.failure)
        }
        if let failure { throw failure }
        return hits
    }

    func page(_ request: PageRequest) async throws(MCPToolError) -> PageContent {
        let (page, failure) = state.withLock { state in
            state.pageRequests.append(request)
            return (state.pages[request.datastore + "/" + Self.pageId(request.page)], state.failure)
        }
        if let failure { throw failure }
        guard var page else { throw .control(.noSuchPage(datastore: request.datastore, pageId: request.page)) }
        // Parts as the daemon cuts them: characters from offset, at most maxChars.
        let scalars = Array(page.text.unicodeScalars)
        let start = min(request.offset, scalars.count)
        let end = request.maxChars.map { min(scalars.count, start + $0) } ?? scalars.count
        page.text = String(String.UnicodeScalarView(scalars[start..<end]))
        page.offset = start
        page.totalChars = scalars.count
        page.nextOffset = end < scalars.count ? end : nil
        page.section = request.section
        return page
    }

    /// The id in a `/pages/ID/…` URL, as the daemon resolves it (only for URLs on the datastore's host).
    static func pageId(_ page: String) -> String {
        guard page.lowercased().hasPrefix("https://wiki.example.com/"), let range = page.range(of: "/pages/") else { return page }
        return String(page[range.upperBound...].prefix { $0 != "/" })
    }

    func datastores() async throws(MCPToolError) -> [DatastoreStatus] {
        let (statuses, failure) = state.withLock { ($0.statuses, $0.failure) }
        if let failure { throw failure }
        return statuses
    }

    func ask(_ request: AskRequest) async throws(MCPToolError) -> AskAnswer {
        let (answer, failure) = state.withLock { state in
            state.asks.append(request)
            return (state.answer, state.failure)
        }
        if let failure { throw failure }
        return answer
    }
}

/// Holds callers until opened.
actor Gate {
    private var open = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if open { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        open = true
        waiters.forEach { $0.resume() }
        waiters = []
    }
}

enum Fixtures {
    static let datastores = [
        DatastoreStatus(
            name: "handbook", state: "ready", since: "2026-12-01T00:00:00Z", url: "https://wiki.example.com/wiki/spaces/HB",
            pages: PageCounts(discovered: 49, indexed: 49), searchable: true, lastSyncCompleted: "2026-12-01T00:05:00Z"),
        DatastoreStatus(
            name: "other", state: "processing", since: "2026-12-01T00:00:00Z", url: "https://other.example.org/wiki/spaces/OT",
            pages: PageCounts(discovered: 10, indexed: 2, pending: 8), searchable: false),
    ]

    static let hit = SearchHit(
        pageId: "300033", title: "Runbook: PostgreSQL",
        url: "https://wiki.example.com/wiki/spaces/HB/pages/300033/Runbook#Rotate-the-database-credentials",
        anchor: "Rotate-the-database-credentials", headingPath: ["Runbook: PostgreSQL", "Rotate the database credentials"],
        score: 14.9, snippet: "«Rotate» the «database» …", text: "## Rotate the database credentials\n\nServices never hold static passwords.",
        datastore: "handbook", space: "HB", labels: ["runbook"], lastModified: "2026-11-30T10:00:00Z", version: 7)

    static let page = PageContent(
        datastore: "handbook", pageId: "300033", title: "Runbook: PostgreSQL",
        url: "https://wiki.example.com/wiki/spaces/HB/pages/300033/Runbook", space: "HB", labels: ["runbook", "database"],
        version: 7, lastModified: "2026-11-30T10:00:00Z",
        outline: [PageSection(anchor: "Rotate-the-database-credentials", title: "Rotate the database credentials", level: 1, offset: 0, length: 80)],
        section: nil, text: "# Runbook: PostgreSQL\n\nÜber 🐘: " + String(repeating: "Rotate credentials every day. ", count: 20),
        offset: 0, totalChars: 0, nextOffset: nil)

    static let answer = AskAnswer(
        answer: "Use Vault's database engine [1].",
        citations: [Citation(n: 1, datastore: "handbook", pageId: "300033", title: "Runbook: PostgreSQL", url: hit.url)],
        mode: "extractive", reason: "no model is configured")

    static func knowledge(gate: Gate? = nil) -> FakeKnowledge {
        let knowledge = FakeKnowledge(gate: gate)
        knowledge.update { state in
            state.hits = [hit]
            state.pages = ["handbook/300033": page]
            state.statuses = datastores
            state.answer = answer
        }
        return knowledge
    }

    static func server(_ knowledge: any MCPKnowledge) -> MCPServer {
        MCPServer(knowledge: knowledge, version: "9.9.9", logger: Logger(label: "mcp-tests") { _ in SwiftLogNoOpLogHandler() })
    }

    static let modernMeta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#
}

/// Sends one message and decodes the reply (nil for `.accepted`).
func exchange(_ server: MCPServer, _ message: String, context: MCPRequestContext = MCPRequestContext(transport: .stdio)) async throws -> JSONValue? {
    switch await server.handle(Array(message.utf8), context: context) {
    case .accepted: return nil
    case .reply(let bytes): return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }
}

/// A request in the handshake era.
func request(_ id: Int, _ method: String, _ params: String = "{}") -> String {
    #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#
}

/// A request in the 2026-07-28 envelope; `params` without braces.
func modernRequest(_ id: Int, _ method: String, _ params: String = "") -> String {
    #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":{\#(params.isEmpty ? "" : params + ",")\#(Fixtures.modernMeta)}}"#
}

/// Calls a tool (modern envelope) and returns the result object.
func callTool(_ server: MCPServer, _ name: String, _ arguments: String) async throws -> JSONValue {
    let reply = try #require(try await exchange(server, modernRequest(7, "tools/call", #""name":"\#(name)","arguments":\#(arguments)"#)))
    return try #require(reply["result"], "no result: \(reply)")
}

extension JSONValue {
    var errorCode: Int64? { self["error"]?["code"]?.integerValue }
    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
    var doubleValue: Double? {
        switch self {
        case .double(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }
}

import Foundation
import Testing
import Varlink

@testable import MCP

@Suite("MCP protocol: handshake, discover, versions and JSON-RPC errors")
struct ProtocolTests {
    @Test("initialize answers the client's revision when supported, else the newest handshake one, with tools, identity and instructions")
    func handshake() async throws {
        for (asked, answered) in [
            ("2025-06-18", "2025-06-18"), ("2025-11-25", "2025-11-25"), ("2025-03-26", "2025-03-26"), ("2024-11-05", "2024-11-05"),
            ("2026-07-28", "2025-11-25"), ("1999-01-01", "2025-11-25"),
        ] {
            let server = Fixtures.server(Fixtures.knowledge())
            let reply = try #require(try await exchange(server, request(1, "initialize", #"{"protocolVersion":"\#(asked)","capabilities":{},"clientInfo":{"name":"t","version":"1"}}"#)))
            let result = try #require(reply["result"], "\(reply)")
            #expect(reply["id"] == .integer(1))
            #expect(result["protocolVersion"] == .string(answered), "asked \(asked)")
            #expect(result["capabilities"]?["tools"]?["listChanged"] == .bool(false))
            #expect(result["serverInfo"]?["name"] == .string("tributary"))
            #expect(result["serverInfo"]?["version"] == .string("9.9.9"))
            #expect(result["instructions"]?.stringValue?.contains("search") == true)
            #expect(result["resultType"] == nil, "handshake-era results carry no resultType")
        }
    }

    @Test("notifications/initialized, other notifications and client responses get no reply; ping answers {}")
    func notifications() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        #expect(try await exchange(server, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#) == nil)
        #expect(try await exchange(server, #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#) == nil)
        #expect(try await exchange(server, #"{"jsonrpc":"2.0","id":9,"result":{}}"#) == nil)
        #expect(try await exchange(server, request(2, "ping")) == .object(["jsonrpc": .string("2.0"), "id": .integer(2), "result": .object([:])]))
        #expect(try await exchange(server, #"{"jsonrpc":"2.0","id":"s-1","method":"ping"}"#)?["id"] == .string("s-1"))
    }

    @Test("server/discover lists the versions, capabilities and identity; 2026-07-28 results carry resultType and serverInfo")
    func discover() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        let reply = try #require(try await exchange(server, modernRequest(1, "server/discover")))
        let result = try #require(reply["result"], "\(reply)")
        #expect(result["supportedVersions"] == .array(MCPProtocol.supportedVersions.map(JSONValue.string)))
        #expect(result["supportedVersions"]?.arrayValue?.first == .string("2026-07-28"))
        #expect(result["capabilities"]?["tools"]?["listChanged"] == .bool(false))
        #expect(result["resultType"] == .string("complete"))
        #expect(result["cacheScope"] == .string("public"))
        #expect((result["ttlMs"]?.integerValue ?? -1) >= 0)
        #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == .string("tributary"))
        #expect(result["instructions"] != nil)
    }

    @Test("A modern request must carry clientCapabilities; server/discover without _meta is -32602")
    func malformedEnvelope() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        let noMeta = try #require(try await exchange(server, request(1, "server/discover")))
        #expect(noMeta.errorCode == -32602)
        let noCapabilities = try #require(
            try await exchange(server, request(2, "tools/list", #"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#)))
        #expect(noCapabilities.errorCode == -32602)
        #expect(noCapabilities["id"] == .integer(2))
        let numericVersion = try #require(
            try await exchange(server, request(3, "tools/list", #"{"_meta":{"io.modelcontextprotocol/protocolVersion":20260728}}"#)))
        #expect(numericVersion.errorCode == -32602)
    }

    @Test("An unsupported protocol version is -32022 with the supported list and the requested version")
    func unsupportedVersion() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        let params = #"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2030-01-01","io.modelcontextprotocol/clientCapabilities":{}}}"#
        for method in ["server/discover", "tools/list", "tools/call"] {
            let reply = try #require(try await exchange(server, request(5, method, params)))
            #expect(reply.errorCode == -32022, "\(method): \(reply)")
            #expect(reply["id"] == .integer(5))
            #expect(reply["error"]?["data"]?["requested"] == .string("2030-01-01"))
            #expect(reply["error"]?["data"]?["supported"]?.arrayValue?.contains(.string("2026-07-28")) == true)
        }
    }

    @Test("JSON-RPC errors: parse error, invalid requests, unknown method, bad params")
    func jsonRPCErrors() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        let cases: [(String, Int64, JSONValue)] = [
            ("this is not JSON", -32700, .null),
            (#"{"jsonrpc":"2.0","id":1,"method":"ping""#, -32700, .null),
            ("42", -32600, .null),
            (#"{"id":1,"method":"ping"}"#, -32600, .integer(1)),
            (#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, -32600, .null),
            (#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#, -32600, .null),
            (#"{"jsonrpc":"2.0","id":1,"method":7}"#, -32600, .integer(1)),
            (#"{"jsonrpc":"2.0","id":1}"#, -32600, .integer(1)),
            (request(3, "resources/list"), -32601, .integer(3)),
            (request(4, "no/such/method"), -32601, .integer(4)),
            (#"{"jsonrpc":"2.0","id":5,"method":"tools/list","params":[1,2]}"#, -32602, .integer(5)),
            (request(6, "tools/call", #"{"arguments":{}}"#), -32602, .integer(6)),
            (request(7, "tools/call", #"{"name":"search","arguments":"query"}"#), -32602, .integer(7)),
            (request(8, "tools/call", #"{"name":"no_such_tool","arguments":{}}"#), -32602, .integer(8)),
            (request(9, "initialize", #"{"capabilities":{}}"#), -32602, .integer(9)),
            (request(10, "tools/list", #"{"cursor":"page-2"}"#), -32602, .integer(10)),
        ]
        for (message, code, id) in cases {
            let reply = try #require(try await exchange(server, message), "no reply to \(message)")
            #expect(reply.errorCode == code, "\(message) → \(reply)")
            #expect(reply["id"] == id, "\(message) → \(reply)")
            #expect(reply["jsonrpc"] == .string("2.0"))
            #expect(reply["error"]?["message"]?.stringValue?.isEmpty == false)
        }
        let unknownTool = try #require(try await exchange(server, request(8, "tools/call", #"{"name":"no_such_tool"}"#)))
        #expect(unknownTool["error"]?["message"]?.stringValue?.contains("Unknown tool: no_such_tool") == true)
    }

    @Test("A message over 4 MiB is refused unread with -32600; one just under is served")
    func hugeMessage() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        let padding = String(repeating: "x", count: MCPServer.maxMessageBytes)
        let huge = request(1, "tools/call", #"{"name":"search","arguments":{"query":"\#(padding)"}}"#)
        let reply = try #require(try await exchange(server, huge))
        #expect(reply.errorCode == -32600)
        #expect(reply["error"]?["message"]?.stringValue?.contains("4 MiB") == true)
        let fits = request(2, "tools/call", #"{"name":"search","arguments":{"query":"\#(String(repeating: "y", count: 1 << 20))"}}"#)
        #expect(try await exchange(server, fits)?["result"]?["isError"] == nil)
    }

    @Test("Batches: one -32600 since 2025-06-18 (and for an empty batch); answered element by element under 2025-03-26")
    func batches() async throws {
        let modern = Fixtures.server(Fixtures.knowledge())
        _ = try await exchange(modern, request(1, "initialize", #"{"protocolVersion":"2025-06-18","capabilities":{}}"#))
        let refused = try #require(try await exchange(modern, "[\(request(2, "ping")),\(request(3, "tools/list"))]"))
        #expect(refused.errorCode == -32600)
        #expect(refused["id"] == .null)
        #expect(refused["error"]?["message"]?.stringValue?.contains("2025-06-18") == true)
        #expect(try await exchange(modern, "[]")?.errorCode == -32600)

        let old = Fixtures.server(Fixtures.knowledge())
        _ = try await exchange(old, request(1, "initialize", #"{"protocolVersion":"2025-03-26","capabilities":{}}"#))
        let batch = "[\(request(2, "ping")),{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},\(request(3, "nope")),5]"
        let replies = try #require(try await exchange(old, batch)?.arrayValue)
        #expect(replies.count == 3)
        #expect(replies[0]["id"] == .integer(2) && replies[0]["result"] == .object([:]))
        #expect(replies[1].errorCode == -32601)
        #expect(replies[2].errorCode == -32600)
        #expect(try await exchange(old, #"[{"jsonrpc":"2.0","method":"notifications/initialized"}]"#) == nil)
    }

    @Test("HTTP: a header that disagrees with the body is -32020; matching and base64-encoded headers pass")
    func headerMismatch() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        let call = modernRequest(1, "tools/call", #""name":"list_datastores","arguments":{}"#)
        let mismatches = [
            MCPRequestContext(transport: .http, protocolVersionHeader: "2025-11-25"),
            MCPRequestContext(transport: .http, protocolVersionHeader: "2026-07-28", methodHeader: "tools/list"),
            MCPRequestContext(transport: .http, protocolVersionHeader: "2026-07-28", methodHeader: "tools/call", nameHeader: "search"),
        ]
        for context in mismatches {
            #expect(try await exchange(server, call, context: context)?.errorCode == -32020, "\(context)")
        }
        let encoded = "=?base64?" + Data("list_datastores".utf8).base64EncodedString() + "?="
        for name in ["list_datastores", encoded] {
            let context = MCPRequestContext(transport: .http, protocolVersionHeader: "2026-07-28", methodHeader: "tools/call", nameHeader: name)
            let reply = try await exchange(server, call, context: context)
            #expect(reply?["result"]?["isError"] == nil, "\(String(describing: reply))")
        }
        #expect(MCPOutcome.reply(Array(#"{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"x"}}"#.utf8)).errorCode == -32022)
        #expect(MCPOutcome.accepted.errorCode == nil)
    }

    @Test("HTTP handshake era: no header means 2025-03-26, an unknown header version is refused")
    func httpHandshakeEra() async throws {
        let server = Fixtures.server(Fixtures.knowledge())
        let listed = try #require(try await exchange(server, request(1, "tools/list"), context: MCPRequestContext(transport: .http)))
        let tools = try #require(listed["result"]?["tools"]?.arrayValue)
        #expect(tools.allSatisfy { $0["outputSchema"] == nil }, "2025-03-26 knows no output schemas")
        let refused = try await exchange(server, request(2, "tools/list"), context: MCPRequestContext(transport: .http, protocolVersionHeader: "2019-01-01"))
        #expect(refused?.errorCode == -32600)
    }
}

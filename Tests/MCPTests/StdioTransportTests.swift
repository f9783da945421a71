import Foundation
import Glibc
import Testing
import Varlink

@testable import MCP

/// A client of the stdio transport over two pipes, in process.
final class PipeClient: Sendable {
    let toServer = Pipe()
    let fromServer = Pipe()
    /// The server's replies, read from now on (call once).
    func replies() -> AsyncStream<JSONValue> {
        let reading = fromServer.fileHandleForReading
        return AsyncStream { continuation in
            // Blocking reads on a thread of their own, never the cooperative pool.
            Thread.detachNewThread {
                var splitter = LineSplitter(maxBytes: 64 << 20)
                let emit = { (line: InputLine) in
                    if case .message(let bytes) = line, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) {
                        continuation.yield(value)
                    }
                }
                while true {
                    let data = reading.availableData
                    if data.isEmpty { break }
                    splitter.feed(Array(data)[...], emit: emit)
                }
                splitter.finish(emit: emit)
                continuation.finish()
            }
        }
    }

    func send(_ text: String) {
        toServer.fileHandleForWriting.write(Data(text.utf8))
    }

    func closeInput() {
        try? toServer.fileHandleForWriting.close()
    }

    /// Runs the transport until its input ends, then closes its output.
    func serve(_ server: MCPServer) -> Task<Void, Never> {
        let input = toServer.fileHandleForReading.fileDescriptor
        let output = fromServer.fileHandleForWriting
        return Task {
            await MCPStdioTransport(server: server, input: input, output: output.fileDescriptor).run()
            try? output.close()
        }
    }
}

@Suite("MCP stdio transport")
struct StdioTransportTests {
    @Test("One reply per request line: parse errors and overlong lines are answered and the loop goes on; blank lines and notifications get none; EOF ends it")
    func lines() async throws {
        let client = PipeClient()
        let served = client.serve(Fixtures.server(Fixtures.knowledge()))
        client.send(request(1, "initialize", #"{"protocolVersion":"2025-11-25","capabilities":{}}"#) + "\n")
        client.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"# + "\n\n   \n")
        client.send("not json at all\n")
        client.send(request(2, "ping") + "\r\n")
        client.send(String(repeating: "z", count: MCPServer.maxMessageBytes + 10) + "\n")
        client.send(request(3, "tools/list") + "\n")
        client.send(request(4, "tools/call", #"{"name":"search","arguments":{"query":"rotate"}}"#))  // no final newline
        client.closeInput()
        var replies: [JSONValue] = []
        for await reply in client.replies() { replies.append(reply) }
        await served.value
        #expect(replies.count == 6, "\(replies)")
        let byID = Dictionary(grouping: replies) { $0["id"] ?? .null }
        #expect(byID[.integer(1)]?.first?["result"]?["protocolVersion"] == .string("2025-11-25"))
        #expect(byID[.integer(2)]?.first?["result"] == .object([:]))
        #expect(byID[.integer(3)]?.first?["result"]?["tools"]?.arrayValue?.count == 4)
        #expect(byID[.integer(4)]?.first?["result"]?["structuredContent"]?["results"]?.arrayValue?.count == 1)
        let errors = (byID[.null] ?? []).compactMap(\.errorCode).sorted()
        #expect(errors == [-32700, -32600])
    }

    @Test("Requests run concurrently: a ping is answered while a search waits, and EOF waits for the search's reply")
    func concurrency() async throws {
        let gate = Gate()
        let client = PipeClient()
        let served = client.serve(Fixtures.server(Fixtures.knowledge(gate: gate)))
        client.send(request(1, "tools/call", #"{"name":"search","arguments":{"query":"slow"}}"#) + "\n")
        client.send(request(2, "ping") + "\n")
        var replies = client.replies().makeAsyncIterator()
        let first = try #require(await replies.next())
        #expect(first["id"] == .integer(2))
        client.closeInput()
        await gate.release()
        let second = try #require(await replies.next())
        #expect(second["id"] == .integer(1))
        #expect(second["result"]?["structuredContent"] != nil)
        #expect(await replies.next() == nil)
        await served.value
    }

    @Test("The splitter cuts lines across chunks, drops CR and blank lines, and replaces an overlong line by its length")
    func splitter() {
        var splitter = LineSplitter(maxBytes: 8)
        var lines: [InputLine] = []
        let emit = { (line: InputLine) in lines.append(line) }
        for chunk in ["ab", "c\r\n\n  \nd", "efghijklmnop", "q\nxyz\n", "tail"] {
            splitter.feed(Array(chunk.utf8)[...], emit: emit)
        }
        splitter.finish(emit: emit)
        let shown = lines.map { line -> String in
            switch line {
            case .message(let bytes): String(decoding: bytes, as: UTF8.self)
            case .tooLong(let count): "<\(count)>"
            }
        }
        #expect(shown == ["abc", "<14>", "xyz", "tail"])
    }

    @Test("A reader that hangs up does not stop the transport: it drains its input and returns")
    func brokenOutput() async throws {
        let client = PipeClient()
        try client.fromServer.fileHandleForReading.close()
        let served = client.serve(Fixtures.server(Fixtures.knowledge()))
        for id in 1...20 { client.send(request(id, "ping") + "\n") }
        client.closeInput()
        await served.value
    }
}

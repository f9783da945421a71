import FakeConfluenceSupport
import Foundation
import Glibc
import Testing

/// `tributaryctl mcp` against a real tributaryd syncing the sample handbook: the PyPI `mcp`
/// client in both protocol generations, protocol-level abuse over raw stdio, clients that go
/// away mid-call, and a daemon that stops and comes back.
@Suite("MCP over stdio, end to end", .serialized)
struct MCPStdioTests {
    static let datastore = "handbook"
    static let query = "rotate the database credentials"
    static let title = "Runbook: PostgreSQL"
    static let python = DaemonHarness.python(importing: "mcp")
    static let script = FakeConfluence.repositoryRoot.appendingPathComponent("Tests/DaemonTests/mcp_client_check.py").path

    /// The fake Confluence serving the sample handbook, and a daemon with it synced (serving
    /// MCP over HTTP too when `httpPort` is given).
    static func withHandbook(httpPort: Int? = nil, _ body: (DaemonHarness) async throws -> Void) async throws {
        try await FakeConfluence.with(["--sample", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            try await harness.startDaemon(extraArguments: httpPort.map { ["--mcp-listen", "127.0.0.1:\($0)"] } ?? [])
            let created = try await harness.ctl([
                "create", datastore, "--url", fake.origin + "/wiki/spaces/HB", "--email", DaemonHarness.email, "--token-file", harness.tokenFile,
            ])
            guard created.status == 0 else { throw DaemonTestError("create failed: \(created.stderr)") }
            try await harness.waitReady(datastore, timeout: 120)
            try await body(harness)
            await harness.stopDaemon()
        }
    }

    @Test(
        "The PyPI mcp client lists, searches, fetches in parts, lists datastores and asks, with initialize and with server/discover, over stdio and over HTTP",
        .enabled(if: python != nil, "no Python with the PyPI mcp package (scripts/test installs mcp==2.3.0 into .build/python-venv)"),
        .timeLimit(.minutes(5)))
    func realClient() async throws {
        let python = try #require(Self.python)
        let port = Int(try MCPHTTPTests.freePort())
        try await Self.withHandbook(httpPort: port) { harness in
            let created = try await harness.ctl(["mcp", "key", "create", "pypi", "--json"])
            let key = try #require(try created.json()["key"] as? String, "\(created.stderr)")
            let transports: [(String, [String])] = [
                ("stdio", ["--transport", "stdio", "--command", DaemonHarness.tributaryctl, "--socket", harness.socketPath]),
                ("http", ["--transport", "http", "--url", "http://127.0.0.1:\(port)/mcp", "--key", key]),
            ]
            for (transport, arguments) in transports {
                for mode in ["handshake", "discover"] {
                    let run = try await DaemonHarness.run([python, Self.script] + arguments + [
                        "--mode", mode, "--datastore", Self.datastore, "--query", Self.query, "--expect-title", Self.title,
                    ])
                    let report = try run.json()
                    #expect(run.status == 0, "\(transport) \(mode): \(run.stderr.suffix(3000))")
                    #expect(report["protocol_version"] as? String == (mode == "handshake" ? "2025-11-25" : "2026-07-28"), "\(run.stderr)")
                    let checks = try #require(report["checks"] as? [[String: Any]], "\(run.stdout) \(run.stderr)")
                    #expect(checks.count >= 10, "\(checks)")
                    for check in checks where check["ok"] as? Bool != true {
                        Issue.record(Comment(rawValue: "\(transport) \(mode): \(check["name"] ?? "?"): \(check["detail"] ?? "")"))
                    }
                }
            }
            #expect(!harness.tail(1 << 22).contains(key))
        }
    }

    @Test("Raw stdio: unknown method, bad params, unsupported version, a batch, a huge line and garbage get errors; the bridge keeps serving and exits 0 at EOF", .timeLimit(.minutes(5)))
    func protocolErrors() async throws {
        try await Self.withHandbook { harness in
            let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#
            let lines = [
                #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#,
                #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                #"{"jsonrpc":"2.0","id":2,"method":"resources/templates/list","params":{}}"#,
                #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search","arguments":[]}}"#,
                #"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2031-02-03","io.modelcontextprotocol/clientCapabilities":{}}}}"#,
                #"[{"jsonrpc":"2.0","id":5,"method":"ping"},{"jsonrpc":"2.0","id":6,"method":"ping"}]"#,
                #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search","arguments":{"query":""# + String(repeating: "a", count: 5 << 20) + #""}}}"#,
                "{\"jsonrpc\": \"2.0\", \"id\": 8, \"method\": ",
                #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"search","arguments":{"query":"\#(Self.query)","datastore":"\#(Self.datastore)","limit":2},\#(meta)}}"#,
            ]
            let run = try await harness.ctl(["mcp"], stdin: lines.joined(separator: "\n") + "\n")
            #expect(run.status == 0, "\(run.stderr)")
            let replies = try run.stdout.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object on stdout: \(line.prefix(200))")
            }
            #expect(replies.count == 8, "\(run.stdout.prefix(3000))")
            func reply(_ id: Int) -> [String: Any]? { replies.first { $0["id"] as? Int == id } }
            func code(_ reply: [String: Any]?) -> Int? { (reply?["error"] as? [String: Any])?["code"] as? Int }
            #expect((reply(1)?["result"] as? [String: Any])?["protocolVersion"] as? String == "2025-06-18")
            #expect(code(reply(2)) == -32601)
            #expect(code(reply(3)) == -32602)
            #expect(code(reply(4)) == -32022)
            #expect((((reply(4)?["error"] as? [String: Any])?["data"] as? [String: Any])?["supported"] as? [String])?.contains("2026-07-28") == true)
            let unaddressed = replies.filter { $0["id"] is NSNull }.compactMap(code).sorted()
            #expect(unaddressed == [-32700, -32600, -32600], "batch, huge line, garbage: \(unaddressed)")
            let search = try #require(reply(9)?["result"] as? [String: Any], "\(replies)")
            #expect(search["isError"] == nil)
            #expect(search["resultType"] as? String == "complete")
            let results = try #require((search["structuredContent"] as? [String: Any])?["results"] as? [[String: Any]])
            #expect(results.first?["title"] as? String == Self.title)
            #expect((results.first?["id"] as? String)?.hasPrefix(Self.datastore + "/") == true)
        }
    }

    @Test("Clients that go away mid-call (killed, or closing their end) leave the daemon serving; a daemon that stops makes tools say so and is found again when it is back", .timeLimit(.minutes(5)))
    func disconnectsAndRestarts() async throws {
        try await Self.withHandbook { harness in
            let call = { (id: Int) in
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"search","arguments":{"query":"\#(Self.query)","datastore":"\#(Self.datastore)"}}}"#
            }
            // Killed with requests in flight.
            let killed = try BridgeProcess(socket: harness.socketPath)
            for id in 1...20 { killed.send(call(id)) }
            killed.kill()
            // Hangs up its reading end, then its writing end: the bridge drains and exits 0.
            let hungUp = try BridgeProcess(socket: harness.socketPath, closeOutput: true)
            for id in 1...20 { hungUp.send(call(id)) }
            hungUp.closeInput()
            #expect(await hungUp.exitStatus() == 0)

            // The daemon still serves, and one long-lived bridge rides out a daemon restart.
            let bridge = try BridgeProcess(socket: harness.socketPath)
            bridge.send(call(1))
            let before = try #require(await bridge.reply())
            #expect(Self.isSuccess(before), "\(before)")
            await harness.stopDaemon()
            bridge.send(call(2))
            let down = try #require(await bridge.reply())
            let downResult = try #require(down["result"] as? [String: Any], "\(down)")
            #expect(downResult["isError"] as? Bool == true)
            let message = ((downResult["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
            #expect(message.contains("tributaryd is unreachable"), "\(message)")
            try await harness.startDaemon()
            bridge.send(call(3))
            let after = try #require(await bridge.reply())
            #expect(Self.isSuccess(after), "\(after)")
            bridge.closeInput()
            #expect(await bridge.exitStatus() == 0)
            #expect(!bridge.standardError().contains("jsonrpc"), "diagnostics only on stderr")
        }
    }

    static func isSuccess(_ reply: [String: Any]) -> Bool {
        guard let result = reply["result"] as? [String: Any], result["isError"] == nil,
            let results = (result["structuredContent"] as? [String: Any])?["results"] as? [[String: Any]]
        else { return false }
        return results.first?["title"] as? String == title
    }
}

/// A running `tributaryctl mcp`, fed and read a line at a time.
final class BridgeProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private var lines: AsyncStream<String>.Iterator

    init(socket: String, closeOutput: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: DaemonHarness.tributaryctl)
        process.arguments = ["mcp", "--socket", socket]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let reading = output.fileHandleForReading
        if closeOutput { try reading.close() }
        let stream = AsyncStream<String> { continuation in
            guard !closeOutput else { return continuation.finish() }
            Thread.detachNewThread {
                var buffer = Data()
                while true {
                    let data = reading.availableData
                    if data.isEmpty { break }
                    buffer.append(data)
                    while let newline = buffer.firstIndex(of: 0x0A) {
                        continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                        buffer = Data(buffer[buffer.index(after: newline)...])
                    }
                }
                continuation.finish()
            }
        }
        lines = stream.makeAsyncIterator()
    }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// The next reply, decoded; nil at the end of output.
    func reply() async -> [String: Any]? {
        guard let line = await lines.next() else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }

    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func exitStatus() async -> Int32 {
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill() }
        return process.terminationStatus
    }

    /// What the bridge wrote to standard error (call after it exited; a pipe holds enough).
    func standardError() -> String {
        String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

extension DaemonHarness {
    /// A Python that can import `module`: $TRIBUTARY_PYTHON (scripts/test sets it) or the project venv.
    static func python(importing module: String) -> String? {
        var candidates: [String] = []
        if let python = ProcessInfo.processInfo.environment["TRIBUTARY_PYTHON"] { candidates.append(python) }
        candidates.append(FakeConfluence.repositoryRoot.appendingPathComponent(".build/python-venv/bin/python").path)
        return candidates.first { candidate in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: candidate)
            process.arguments = ["-c", "import \(module)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }
}

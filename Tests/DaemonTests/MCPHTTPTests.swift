import FakeConfluenceSupport
import Foundation
import Glibc
import Testing

/// tributaryd serving MCP over Streamable HTTP, driven by curl: keys made and revoked with
/// tributaryctl, the auth and Origin answers, and no key in any log.
@Suite("tributaryd MCP over HTTP", .serialized)
struct MCPHTTPTests {
    static let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}"#

    @Test("no key 401, a created key accepted, a revoked key 401, a foreign Origin 403; the key is in no log")
    func keysAndAuth() async throws {
        try await FakeConfluence.with(["--generate", "5", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let port = try Self.freePort()
            let url = "http://127.0.0.1:\(port)/mcp"
            try await harness.startDaemon(extraArguments: ["--mcp-listen", "127.0.0.1:\(port)"])
            #expect(harness.tail().contains("serving MCP over HTTP at \(url)"))

            let created = try await harness.ctl(["mcp", "key", "create", "ci", "--json"])
            #expect(created.status == 0, "\(created.stderr)")
            let key = try #require(try created.json()["key"] as? String)
            #expect(try created.json()["label"] as? String == "ci")
            #expect(key.hasPrefix("trb_"))
            #expect(try await harness.ctl(["mcp", "key", "create", "ci"]).status != 0)
            let plain = try await harness.ctl(["mcp", "key", "create", "other"])
            #expect(plain.status == 0)
            #expect(plain.stdout.hasPrefix("trb_"))

            #expect(try await Self.post(url, key: nil).status == 401)
            #expect(try await Self.post(url, key: "trb_not-a-key").status == 401)
            let good = try await Self.post(url, key: key)
            #expect([200, 202].contains(good.status), "\(good.body)")
            #expect(try await Self.post(url, key: key, origin: "https://evil.example").status == 403)
            #expect(try await Self.post(url, key: key, method: "GET").status == 405)

            let listed = try await harness.ctl(["mcp", "key", "list", "--json"])
            #expect(listed.status == 0)
            let keys = try #require(try listed.json()["keys"] as? [[String: Any]])
            #expect(keys.compactMap { $0["label"] as? String } == ["ci", "other"])
            #expect(keys.first?["lastUsed"] is String)
            #expect(!listed.stdout.contains(key))

            #expect(try await harness.ctl(["mcp", "key", "revoke", "ci"]).status == 0)
            #expect(try await Self.post(url, key: key).status == 401)
            #expect(try await harness.ctl(["mcp", "key", "revoke", "ci"]).status == 3)

            let stop = await harness.stopDaemon()
            #expect(stop.status == 0)
            let log = harness.tail(1 << 22)
            #expect(log.contains("MCP key ci created by uid"))
            #expect(log.contains("MCP key ci revoked by uid"))
            #expect(!log.contains(key))
            #expect(!log.contains(plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            for file in FileManager.default.subpaths(atPath: harness.stateDirectory) ?? [] {
                let data = (try? Data(contentsOf: URL(fileURLWithPath: harness.stateDirectory + "/" + file))) ?? Data()
                #expect(data.range(of: Data(key.utf8)) == nil, "the key is in \(file)")
            }
        }
    }

    @Test("a bad --mcp-listen is refused at start with the rule; a port in use ends the daemon with a clear message")
    func badAddress() async throws {
        let directory = NSTemporaryDirectory() + "tributary-mcp-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = [DaemonHarness.tributaryd, "--state-dir", directory + "/state", "--socket", directory + "/control.sock", "--log", "stderr"]
        let zero = try await DaemonHarness.run(base + ["--mcp-listen", "127.0.0.1:0"])
        #expect(zero.status == 78)
        #expect(zero.stderr.contains("1 to 65535"), "\(zero.stderr)")
        let name = try await DaemonHarness.run(base + ["--mcp-listen", "localhost:8765"])
        #expect(name.status == 78)
        #expect(name.stderr.contains("not an IPv4 or IPv6 address"), "\(name.stderr)")

        // Hold a port, then ask the daemon to bind it.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        let port = try Self.bindLoopback(holder)
        #expect(listen(holder, 1) == 0)
        let busy = try await DaemonHarness.run(base + ["--mcp-listen", "127.0.0.1:\(port)"])
        #expect(busy.status == 71)
        #expect(busy.stderr.contains("cannot serve MCP over HTTP at 127.0.0.1:\(port)"), "\(busy.stderr)")
    }

    struct Answer {
        var status: Int
        var body: String
    }

    /// POSTs the initialize request with curl (a client nobody here wrote).
    static func post(_ url: String, key: String?, origin: String? = nil, method: String = "POST") async throws -> Answer {
        var command = ["/usr/bin/curl", "-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}",
                       "-H", "Content-Type: application/json", "-H", "Accept: application/json, text/event-stream"]
        if let key { command += ["-H", "Authorization: Bearer \(key)"] }
        if let origin { command += ["-H", "Origin: \(origin)"] }
        if method == "POST" { command += ["--data-binary", initialize] }
        let output = try await DaemonHarness.run(command + [url])
        guard output.status == 0, let newline = output.stdout.lastIndex(of: "\n"), let status = Int(output.stdout[output.stdout.index(after: newline)...]) else {
            throw DaemonTestError("curl failed (\(output.status)): \(output.stderr)")
        }
        return Answer(status: status, body: String(output.stdout[..<newline]))
    }

    /// A port nobody listens on right now (the kernel's choice; freed before use).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return try bindLoopback(fd)
    }

    static func bindLoopback(_ fd: Int32) throws -> UInt16 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw DaemonTestError("cannot bind a loopback port") }
        return UInt16(bigEndian: address.sin_port)
    }
}

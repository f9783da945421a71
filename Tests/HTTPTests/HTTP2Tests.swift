import Foundation
import Testing
@testable import HTTP

/// HTTP/2 over TLS against nghttpd (Debian package nghttp2-server), when it is installed.
@Suite("HTTP/2 multiplexing")
struct HTTP2Tests {
    static let nghttpd = "/usr/sbin/nghttpd"
    static let available = FileManager.default.isExecutableFile(atPath: nghttpd)
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

    @Test(.enabled(if: available, "needs nghttpd (apt-get install nghttp2-server) and openssl"))
    func parallelRequestsShareOneTLSConnection() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-h2-\(UUID().uuidString)")
        let docs = dir.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        try "hello-h2\n".write(to: docs.appendingPathComponent("file.txt"), atomically: true, encoding: .utf8)
        let key = dir.appendingPathComponent("key.pem").path
        let cert = dir.appendingPathComponent("cert.pem").path
        try await run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ])

        let client = HTTPClient(configuration: .init(caBundlePath: cert))
        for _ in 0..<5 {
            let port = Int.random(in: 20_000..<60_000)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: Self.nghttpd)
            server.arguments = ["-d", docs.path, String(port), key, cert]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            // The test runner blocks SIGTERM in children, so stop nghttpd with SIGKILL.
            defer { kill(server.processIdentifier, SIGKILL) }
            let url = "https://127.0.0.1:\(port)/file.txt"
            guard await waitUntilServing(client, url, server) else { continue }

            // A fresh client (empty connection cache) sends 20 requests at once: with PIPEWAIT
            // they wait for the first connection and multiplex on it instead of opening 20.
            let fresh = HTTPClient(configuration: .init(caBundlePath: cert))
            let responses = try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                for _ in 0..<20 { group.addTask { try await fresh.send(HTTPRequest(url: url)) } }
                return try await group.reduce(into: [HTTPResponse]()) { $0.append($1) }
            }
            #expect(responses.count == 20)
            #expect(responses.allSatisfy { $0.status == 200 && $0.text == "hello-h2\n" && $0.httpVersion == "HTTP/2" })
            #expect(responses.map(\.newConnections).reduce(0, +) == 1)
            return
        }
        Issue.record("nghttpd did not start on any port tried")
    }

    private func waitUntilServing(_ client: HTTPClient, _ url: String, _ server: Process) async -> Bool {
        for _ in 0..<50 {
            guard server.isRunning else { return false }
            if let response = try? await client.send(HTTPRequest(url: url)), response.status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    private func run(_ tool: String, _ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0 else { throw HTTPError(.other, url: tool, detail: "exit \(process.terminationStatus)") }
    }
}

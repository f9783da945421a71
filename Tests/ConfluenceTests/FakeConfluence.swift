import Foundation
import HTTP

/// Runs `scripts/fake-confluence` on a free loopback port for one test and always stops it.
struct FakeConfluence {
    let process: Process
    let port: Int
    var origin: String { "http://127.0.0.1:\(port)" }

    static let repositoryRoot: URL = {
        // …/Tests/ConfluenceTests/FakeConfluence.swift → repository root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    static func with<T>(_ arguments: [String], _ body: (FakeConfluence) async throws -> T) async throws -> T {
        let fake = try await start(arguments)
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    /// Waits without blocking a cooperative thread (the pool has only as many as cores).
    static func start(_ arguments: [String]) async throws -> FakeConfluence {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-fake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port")
        let script = repositoryRoot.appendingPathComponent("scripts/fake-confluence").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The test runner blocks signals and children inherit the mask; unblock before exec
        // so SIGTERM stops the server.
        process.arguments = [
            "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
            script, "--port", "0", "--port-file", portFile.path, "--max-seconds", "120",
        ] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && process.isRunning {
            if let text = try? String(contentsOf: portFile, encoding: .utf8),
               let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return FakeConfluence(process: process, port: port)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let fake = FakeConfluence(process: process, port: 0)
        await fake.stop()
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "fake-confluence did not start"])
    }

    /// SIGTERM, then SIGKILL after two seconds.
    func stop() async {
        await Self.stop(process)
    }

    static func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// `GET /_fake/stats` as a dictionary.
    func stats() async throws -> [String: Any] {
        let response = try await HTTPClient.shared.send(HTTPRequest(url: origin + "/_fake/stats"))
        return try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
    }

    /// `POST /_fake/faults` with a JSON object of camelCase settings.
    func setFaults(_ json: String) async throws {
        let response = try await HTTPClient.shared.send(HTTPRequest(
            method: .post, url: origin + "/_fake/faults", headers: ["Content-Type": "application/json"],
            body: Array(json.utf8)))
        guard response.status == 200 else { throw CocoaError(.coderInvalidValue) }
    }
}

/// A one-endpoint Python server that answers every GET with a fixed status, type and body,
/// for shapes the fake does not produce (malformed JSON, HTML login pages, permanent 5xx).
struct CannedServer {
    let process: Process
    let origin: String

    static func with<T>(status: Int, contentType: String, body: String, headers: [String: String] = [:],
                        _ run: (CannedServer) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-canned-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port")
        let config = try JSONSerialization.data(withJSONObject: [
            "status": status, "type": contentType, "body": body, "headers": headers,
        ])
        let script = #"""
import json, os, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
signal.pthread_sigmask(signal.SIG_SETMASK, [])
cfg = json.loads(sys.argv[2])
parent = os.getppid()
def watchdog():
    start = time.time()
    while os.getppid() == parent and time.time() - start < 60: time.sleep(0.2)
    os._exit(0)
threading.Thread(target=watchdog, daemon=True).start()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        body = cfg["body"].encode()
        self.send_response(cfg["status"])
        self.send_header("Content-Type", cfg["type"])
        for k, v in cfg["headers"].items(): self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
s.handle_error = lambda *a: None
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
"""#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, portFile.path, String(decoding: config, as: UTF8.self)]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        var port: Int?
        while Date() < deadline, port == nil {
            port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let server = CannedServer(process: process, origin: "http://127.0.0.1:\(port ?? 1)")
        do {
            let result = try await run(server)
            await FakeConfluence.stop(process)
            return result
        } catch {
            await FakeConfluence.stop(process)
            throw error
        }
    }
}

import FakeConfluenceSupport
import Foundation
import HTTP

/// A one-endpoint Python server that answers every GET with a fixed status, type and body,
/// for shapes the fake does not produce (malformed JSON, HTML login pages, permanent 5xx).
struct CannedServer {
    let process: Process
    let origin: String

    /// - Parameters:
    ///   - announcedLength: a `Content-Length` other than the body's; the connection closes
    ///     after the body (a response cut short).
    ///   - trickle: sends the body a byte at a time with this pause between bytes (a slow server).
    static func with<T>(status: Int, contentType: String, body: String, headers: [String: String] = [:],
                        announcedLength: Int? = nil, trickle: Duration? = nil,
                        _ run: (CannedServer) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-canned-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port")
        let config = try JSONSerialization.data(withJSONObject: [
            "status": status, "type": contentType, "body": body, "headers": headers,
            "length": announcedLength ?? -1, "trickle": trickle.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0,
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
        length = cfg["length"] if cfg["length"] >= 0 else len(body)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if cfg["trickle"] > 0:
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1]); self.wfile.flush(); time.sleep(cfg["trickle"])
        else:
            self.wfile.write(body)
        if length != len(body): self.close_connection = True
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

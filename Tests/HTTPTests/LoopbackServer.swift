import Foundation

/// A tiny Python HTTP server on 127.0.0.1 with endpoints for each behaviour under test.
/// It exits on its own when its parent dies or after a minute, so no test can leak it.
struct LoopbackServer {
    let process: Process
    let base: String

    static let script = #"""
import gzip, json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

import signal
# The test runner blocks signals and children inherit the mask: unblock, or SIGTERM is ignored.
signal.pthread_sigmask(signal.SIG_SETMASK, [])
parent = os.getppid()
def watchdog():
    start = time.time()
    while os.getppid() == parent and time.time() - start < 60:
        time.sleep(0.2)
    os._exit(0)
threading.Thread(target=watchdog, daemon=True).start()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass

    def send(self, status, body, headers=(), length=True):
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        if length: self.send_header("Content-Length", str(len(body)))
        else: self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
        if not length: self.close_connection = True

    def do_HEAD(self): self.do_GET()
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        self.send(200, data, [("Content-Type", "application/octet-stream")])

    def do_GET(self):
        u = urlparse(self.path); q = parse_qs(u.query); p = u.path
        arg = lambda k, d: q.get(k, [d])[0]
        if p == "/hello":
            self.send(200, b"hello", [("Content-Type", "text/plain"), ("X-Multi", "one"), ("x-multi", "two"),
                                      ("Retry-After", "7")])
        elif p == "/echo":
            body = json.dumps({"headers": {k.lower(): v for k, v in self.headers.items()},
                               "port": self.client_address[1], "path": self.path}).encode()
            self.send(200, body, [("Content-Type", "application/json")])
        elif p == "/slow":
            time.sleep(int(arg("ms", "1000")) / 1000)
            self.send(200, b"slow", [])
        elif p == "/stall":
            self.send_response(200); self.send_header("Content-Length", "100"); self.end_headers()
            self.wfile.write(b"x"); self.wfile.flush()
            time.sleep(int(arg("ms", "5000")) / 1000)
        elif p == "/big":
            n = int(arg("bytes", "1000"))
            self.send(200, b"a" * n, [], length=arg("length", "1") == "1")
        elif p == "/redirect":
            self.send(302, b"", [("Location", arg("to", "/hello"))])
        elif p == "/loop":
            self.send(302, b"", [("Location", "/loop")])
        elif p == "/gzip":
            raw = b"compressible " * 1000
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                self.send(200, gzip.compress(raw), [("Content-Encoding", "gzip")])
            else:
                self.send(200, raw, [])
        elif p == "/status":
            self.send(int(arg("code", "200")), b"status", [])
        else:
            self.send(404, b"not found", [])

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
server.handle_error = lambda *args: None  # clients reset connections on purpose (cancel, caps)
with open(sys.argv[1] + ".tmp", "w") as f: f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
"""#

    /// Starts the server, runs `body` with its base URL, and always stops it.
    static func with<T>(_ body: (String) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server.base)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Waits without blocking a cooperative thread (the pool has only as many as cores).
    static func start() async throws -> LoopbackServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let scriptURL = dir.appendingPathComponent("server.py")
        let portURL = dir.appendingPathComponent("port")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptURL.path, portURL.path]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOf: portURL, encoding: .utf8), let port = Int(text) {
                return LoopbackServer(process: process, base: "http://127.0.0.1:\(port)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw CocoaError(.fileReadNoSuchFile)
    }

    /// SIGTERM, then SIGKILL if the server has not exited within two seconds.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

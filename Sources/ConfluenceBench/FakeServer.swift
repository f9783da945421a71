import Foundation
import HTTP

/// Starts `scripts/fake-confluence` on a free loopback port and reads its statistics.
struct FakeServer {
    let process: Process
    let origin: String

    static func start(root: URL, arguments: [String]) async throws -> FakeServer {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-bench-\(UUID().uuidString).port")
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/fake-confluence")
        process.arguments = ["--port", "0", "--port-file", portFile.path, "--max-seconds", "900"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            if let text = try? String(contentsOf: portFile, encoding: .utf8),
               let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return FakeServer(process: process, origin: "http://127.0.0.1:\(port)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw BenchError("fake-confluence did not start (is python3 installed?)")
    }

    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// `(requests, 429s)` counted by the server since the last reset.
    func counts() async throws -> (requests: Int, throttled: Int) {
        let response = try await HTTPClient.shared.send(HTTPRequest(url: origin + "/_fake/stats"))
        let json = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
        return (json["requests"] as? Int ?? 0, json["rateLimited"] as? Int ?? 0)
    }

    func resetStats() async throws {
        _ = try await HTTPClient.shared.send(HTTPRequest(method: .post, url: origin + "/_fake/stats/reset", body: Array("{}".utf8)))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

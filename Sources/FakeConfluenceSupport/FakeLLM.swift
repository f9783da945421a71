import Foundation
import HTTP

/// Runs `scripts/fake_llm/server.py`, a scripted OpenAI-compatible chat-completions server, on
/// a free loopback port for a test, and always stops it. It records the requests it receives
/// and can be told to answer 401, 500, garbage, or to hang.
public struct FakeLLM: Sendable {
    public let process: Process
    public let port: Int
    /// The base URL to configure as `llm_url`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// One request the server received.
    public struct Received: Sendable {
        /// The `messages[].content` joined, as the model would read them.
        public var prompt: String
        public var stream: Bool
        public var model: String
        public var authorized: Bool
        public var body: String
        /// `/v1/embeddings`: the inputs.
        public var inputs: [String]
    }

    /// Starts the server (requiring `Authorization: Bearer key` when given), runs `body`, stops it.
    public static func with<T>(key: String? = nil, hangSeconds: Int = 20, _ body: (FakeLLM) async throws -> T) async throws -> T {
        let fake = try await start(key: key, hangSeconds: hangSeconds)
        do {
            let result = try await body(fake)
            await FakeConfluence.stop(fake.process)
            return result
        } catch {
            await FakeConfluence.stop(fake.process)
            throw error
        }
    }

    public static func start(key: String? = nil, hangSeconds: Int = 20, maxSeconds: Int = 300) async throws -> FakeLLM {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-fake-llm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port")
        var arguments = ["--port", "0", "--port-file", portFile.path, "--hang-seconds", String(hangSeconds),
                         "--max-seconds", String(maxSeconds)]
        if let key {
            // Through a file, so the key is not in the process list.
            let keyFile = dir.appendingPathComponent("key")
            try key.write(to: keyFile, atomically: true, encoding: .utf8)
            arguments += ["--key-file", keyFile.path]
        }
        let python = ProcessInfo.processInfo.environment["TRIBUTARY_PYTHON"] ?? "/usr/bin/python3"
        let script = FakeConfluence.repositoryRoot.appendingPathComponent("scripts/fake_llm/server.py").path
        let process = Process.withSignalsUnblocked([python, script] + arguments)
        return FakeLLM(process: process, port: try await FakeConfluence.launch(process, portFile: portFile, name: "fake_llm"))
    }

    /// Sets how the next answers behave: `mode` ok, 401, 429 (with `Retry-After: retryAfter`),
    /// 500, hang or garbage; `usage` whether usage is reported; `jsonEvenIfStream` answers one
    /// JSON completion to a streaming request; `dimensions` of `/v1/embeddings` vectors.
    public func script(answer: String? = nil, mode: String = "ok", usage: Bool = true, jsonEvenIfStream: Bool = false,
                       chunkDelayMilliseconds: Int = 5, dimensions: Int = 16, retryAfter: Int = 7) async throws {
        var object: [String: Any] = ["mode": mode, "usage": usage, "json_even_if_stream": jsonEvenIfStream,
                                     "chunk_delay_ms": chunkDelayMilliseconds, "dimensions": dimensions, "retry_after": retryAfter]
        if let answer { object["answer"] = answer }
        _ = try await admin("POST", "/_fake/script", body: FakeConfluence.json(object))
    }

    /// The requests received so far, oldest first.
    public func requests() async throws -> [Received] {
        let list = try await admin("GET", "/_fake/requests") as? [[String: Any]] ?? []
        return list.map { entry in
            let body = entry["body"] as? [String: Any] ?? [:]
            let messages = body["messages"] as? [[String: Any]] ?? []
            let text = (try? JSONSerialization.data(withJSONObject: body)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return Received(
                prompt: messages.compactMap { $0["content"] as? String }.joined(separator: "\n"),
                stream: body["stream"] as? Bool ?? false, model: body["model"] as? String ?? "",
                authorized: entry["authorized"] as? Bool ?? false, body: text,
                inputs: body["input"] as? [String] ?? (body["input"] as? String).map { [$0] } ?? [])
        }
    }

    public func reset() async throws {
        _ = try await admin("POST", "/_fake/reset")
    }

    private func admin(_ method: String, _ path: String, body: String? = nil) async throws -> Any {
        let request = HTTPRequest(
            method: HTTPRequest.Method(rawValue: method) ?? .get, url: "http://127.0.0.1:\(port)" + path,
            headers: body == nil ? [:] : ["Content-Type": "application/json"], body: body.map { Array($0.utf8) })
        let response = try await HTTPClient.shared.send(request)
        guard (200..<300).contains(response.status) else {
            throw CocoaError(.coderInvalidValue, userInfo: [NSLocalizedDescriptionKey: "\(method) \(path) → \(response.status)"])
        }
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }
}

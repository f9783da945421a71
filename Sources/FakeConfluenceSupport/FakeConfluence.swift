import Foundation
import HTTP

/// Runs `scripts/fake-confluence` on a free loopback port for a test and always stops it,
/// with typed access to its admin API (`/_fake/…`). Shared by every test target that needs a
/// Confluence: the client's tests, the engine's and the daemon's end-to-end tests.
public struct FakeConfluence: Sendable {
    public let process: Process
    public let port: Int
    public var origin: String { "http://127.0.0.1:\(port)" }

    /// The repository root, found from this file's path.
    public static let repositoryRoot: URL = {
        // …/Sources/FakeConfluenceSupport/FakeConfluence.swift → repository root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    public static func with<T>(_ arguments: [String], maxSeconds: Int = 300, _ body: (FakeConfluence) async throws -> T) async throws -> T {
        let fake = try await start(arguments, maxSeconds: maxSeconds)
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    /// Starts the fake and waits for its port without blocking a cooperative thread.
    public static func start(_ arguments: [String], maxSeconds: Int = 300) async throws -> FakeConfluence {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-fake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port")
        let script = repositoryRoot.appendingPathComponent("scripts/fake-confluence").path
        let process = Process.withSignalsUnblocked(
            [script, "--port", "0", "--port-file", portFile.path, "--max-seconds", String(maxSeconds)] + arguments)
        return FakeConfluence(process: process, port: try await launch(process, portFile: portFile, name: "fake-confluence"))
    }

    /// SIGTERM, then SIGKILL after two seconds.
    public func stop() async {
        await Self.stop(process)
    }

    /// Runs a test server that writes its port to `portFile` once it listens, and waits (at
    /// most 30 s, without blocking a cooperative thread) for that port; stops it if it never comes.
    static func launch(_ process: Process, portFile: URL, name: String) async throws -> Int {
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && process.isRunning {
            if let text = try? String(contentsOf: portFile, encoding: .utf8),
               let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return port
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        await stop(process)
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(name) did not start"])
    }

    public static func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// `GET /_fake/stats` as a dictionary.
    public func stats() async throws -> [String: Any] {
        try await admin("GET", "/_fake/stats") as? [String: Any] ?? [:]
    }

    /// Total API requests since start (or the last reset).
    public func requestCount() async throws -> Int {
        try await stats()["requests"] as? Int ?? -1
    }

    public func resetStats() async throws {
        _ = try await admin("POST", "/_fake/stats/reset")
    }

    /// `POST /_fake/faults` with a JSON object of camelCase settings.
    public func setFaults(_ json: String) async throws {
        _ = try await admin("POST", "/_fake/faults", body: json)
    }

    /// Calls the admin API; the JSON answer, or an error naming the status and body.
    @discardableResult
    public func admin(_ method: String, _ path: String, body: String? = nil) async throws -> Any {
        let request = HTTPRequest(
            method: HTTPRequest.Method(rawValue: method) ?? .get, url: origin + path,
            headers: body == nil ? [:] : ["Content-Type": "application/json"],
            body: body.map { Array($0.utf8) })
        let response = try await HTTPClient.shared.send(request)
        guard (200..<300).contains(response.status) else {
            throw CocoaError(.coderInvalidValue, userInfo: [
                NSLocalizedDescriptionKey: "\(method) \(path) → \(response.status): \(String(decoding: response.body, as: UTF8.self))",
            ])
        }
        if response.body.isEmpty { return [String: Any]() }
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }

    /// Adds a space (`type` global, personal, collaboration or knowledge_base; `status` current
    /// or archived), filled with `generate` synthetic pages when given; returns its id.
    @discardableResult
    public func createSpace(key: String, name: String? = nil, type: String = "global", status: String = "current",
                            generate: Int? = nil, seed: Int = 0) async throws -> String {
        var object: [String: Any] = ["key": key, "type": type, "status": status]
        if let name { object["name"] = name }
        if let generate { object["generate"] = generate; object["seed"] = seed }
        let answer = try await admin("POST", "/_fake/spaces", body: Self.json(object))
        guard let id = (answer as? [String: Any])?["id"] else { throw CocoaError(.coderValueNotFound) }
        return "\(id)"
    }

    /// Purges a space and every page in it.
    public func deleteSpace(_ key: String) async throws {
        try await admin("DELETE", "/_fake/spaces/\(key)")
    }

    /// Hides or shows a space (an invisible space answers exactly like a missing one), or
    /// archives or unarchives it (`status`).
    public func updateSpace(_ key: String, visible: Bool? = nil, status: String? = nil) async throws {
        var object: [String: Any] = [:]
        if let visible { object["visible"] = visible }
        if let status { object["status"] = status }
        try await admin("POST", "/_fake/spaces/\(key)", body: Self.json(object))
    }

    /// Adds a page; returns its id.
    @discardableResult
    public func createPage(space: String, title: String, body: String, parentId: String? = nil, labels: [String] = []) async throws -> String {
        var object: [String: Any] = ["spaceKey": space, "title": title, "body": body, "labels": labels]
        if let parentId { object["parentId"] = parentId }
        let answer = try await admin("POST", "/_fake/pages", body: Self.json(object))
        guard let id = (answer as? [String: Any])?["id"] else { throw CocoaError(.coderValueNotFound) }
        return "\(id)"
    }

    /// A new version of a page, with `body` (or an appended paragraph) and optionally a new title.
    public func editPage(_ id: String, body: String? = nil, title: String? = nil) async throws {
        var object: [String: Any] = [:]
        if let body { object["body"] = body }
        if let title { object["title"] = title }
        try await admin("POST", "/_fake/pages/\(id)/edit", body: Self.json(object))
    }

    public func movePage(_ id: String, parentId: String?) async throws {
        try await admin("POST", "/_fake/pages/\(id)/move", body: Self.json(["parentId": parentId as Any? ?? NSNull()]))
    }

    public func archivePage(_ id: String) async throws {
        try await admin("POST", "/_fake/pages/\(id)/archive", body: "{}")
    }

    public func deletePage(_ id: String) async throws {
        try await admin("DELETE", "/_fake/pages/\(id)")
    }

    public func setLabels(_ id: String, _ labels: [String]) async throws {
        try await admin("POST", "/_fake/pages/\(id)/labels", body: Self.json(["labels": labels]))
    }

    static func json(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

extension Process {
    /// A process that runs `command` with an empty signal mask. The test runner blocks signals
    /// and children inherit the mask, so without this SIGTERM would never reach the child.
    public static func withSignalsUnblocked(_ command: [String]) -> Process {
        let argv = unblockingSignals(command)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        return process
    }

    /// `command` prefixed with a tiny Python shim that clears the signal mask and execs it (same pid).
    public static func unblockingSignals(_ command: [String]) -> [String] {
        [
            "/usr/bin/env", "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
        ] + command
    }
}

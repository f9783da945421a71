import Control
import Foundation
import Glibc
import LogTestSupport
import Logging
import Synchronization
import Testing
import Varlink

/// A `ControlServer` over a `FakeBackend` on a fresh socket path.
struct RunningServer {
    let backend: FakeBackend
    let server: ControlServer
    let path: String
    let logs: LogCapture

    static func start(
        backend: FakeBackend = FakeBackend(),
        authorizer: Authorizer = Authorizer(privilegedUserIDs: [0], groupID: nil),
        mode: UInt32 = 0o600
    ) throws -> RunningServer {
        let logs = LogCapture()
        let path = "/tmp/tributary-control-\(UUID().uuidString.prefix(12)).sock"
        let server = ControlServer(backend: backend, authorizer: authorizer, logger: logs.logger, version: "0.1-test")
        try server.start(.path(path, mode: mode))
        return RunningServer(backend: backend, server: server, path: path, logs: logs)
    }

    func stop() async {
        await server.stop()
    }
}

enum Paths {
    /// …/Tests/ControlTests/TestSupport.swift → the repository root.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The directory holding the built products (the test bundle and tributaryctl beside it).
    static func products() throws -> URL {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("tributaryctl").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory
    }

    static func tributaryctl() throws -> String {
        let path = try products().appendingPathComponent("tributaryctl").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "tributaryctl was not built next to the tests (swift build --build-tests)")
        return path
    }

    /// A Python that has the PyPI `varlink` package: $TRIBUTARY_PYTHON (set by scripts/test),
    /// else the venv scripts/test creates, else python3.
    static func pythonWithVarlink() throws -> String {
        var candidates: [String] = []
        if let fromEnvironment = ProcessInfo.processInfo.environment["TRIBUTARY_PYTHON"] { candidates.append(fromEnvironment) }
        candidates.append(repositoryRoot.appendingPathComponent(".build/python-venv/bin/python3").path)
        candidates.append("/usr/bin/python3")
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            if (try? run(candidate, ["-c", "import varlink"]).status) == 0 { return candidate }
        }
        Issue.record("no Python with the varlink package: run scripts/test, or pip install varlink into \(candidates.first ?? "python3")")
        throw CancellationError()
    }
}

struct ProcessResult: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program to completion on a dedicated thread (never the cooperative pool, where the
/// in-process server's handlers run), feeding `stdin`, with a hard time limit.
func run(
    _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
    timeout: TimeInterval = 30
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let errors = Pipe()
    let input = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
    }
    let errorData = Mutex(Data())
    let reader = Thread { errorData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() } }
    reader.start()
    let killer = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    let stdoutData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    killer.cancel()
    while !reader.isFinished { usleep(1000) }
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
        stderr: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
}

/// `run` off the cooperative pool.
func runAsync(
    _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
    timeout: TimeInterval = 30
) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ProcessResult, any Error>) in
        Thread.detachNewThread {
            do {
                continuation.resume(returning: try run(executable, arguments, stdin: stdin, environment: environment, timeout: timeout))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// Parses JSON output into a `JSONValue`.
func json(_ text: String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}

let strangerPeer = VarlinkPeer(processID: 4242, userID: 1000, groupID: 1000, supplementaryGroups: [27, 100])

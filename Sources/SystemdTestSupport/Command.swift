import Foundation

/// What a finished child process left behind.
public struct CommandResult: Sendable {
    /// The exit status, or 128 + the signal that killed it.
    public var status: Int32
    /// Everything it wrote to stdout.
    public var standardOutput: String
    /// Everything it wrote to stderr.
    public var standardError: String
    /// Whether the time limit ran out and the process was killed.
    public var timedOut: Bool
}

/// A harness could not set itself up (missing tool, not root, a namespace refused).
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Runs child processes for tests, with their output captured in files (no pipe can fill up)
/// and a time limit after which the child gets SIGTERM, then SIGKILL.
public enum Command {
    /// Runs `executable` and waits. Blocks the calling thread: from async code use
    /// ``run(_:_:environment:timeout:)-async``.
    public static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Duration = .seconds(120)
    ) throws -> CommandResult {
        let directory = try temporaryDirectory(prefix: "tributary-command")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outputPath = directory + "/stdout"
        let errorPath = directory + "/stderr"
        let output = try FileHandle(creating: outputPath)
        let error = try FileHandle(creating: errorPath)
        defer {
            try? output.close()
            try? error.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()

        var timedOut = false
        if finished.wait(timeout: .now() + timeout.timeInterval) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGTERM)
            if finished.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        let status = process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
        return CommandResult(
            status: status,
            standardOutput: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "",
            timedOut: timedOut
        )
    }

    /// Runs `executable` on a thread of its own, so waiting never ties up the cooperative pool.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> CommandResult {
        try await onDedicatedThread {
            try runBlocking(executable, arguments, environment: environment, timeout: timeout)
        }
    }

    /// Runs a bash script with `arguments` as `$1…`.
    static func bash(
        _ script: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration
    ) throws -> CommandResult {
        try runBlocking("/bin/bash", ["-c", script, "bash"] + arguments, environment: environment, timeout: timeout)
    }

    /// The first of `candidates` that is an executable file.
    static func firstExecutable(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Runs blocking `work` on a new thread and resumes the caller with its result.
public func onDedicatedThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// A new private directory under `$TMPDIR`.
func temporaryDirectory(prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "/\(prefix).XXXXXX").utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw HarnessError("mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}

extension FileHandle {
    /// A new, empty file opened for writing.
    fileprivate convenience init(creating path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw HarnessError("cannot create \(path): \(String(cString: strerror(errno)))") }
        self.init(fileDescriptor: descriptor, closeOnDealloc: false)
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

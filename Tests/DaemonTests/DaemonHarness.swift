import FakeConfluenceSupport
import Foundation

/// Runs the real `tributaryd` and `tributaryctl` binaries (built next to the test bundle) in a
/// temporary directory, against a fake Confluence.
final class DaemonHarness: @unchecked Sendable {
    let directory: String
    let stateDirectory: String
    let socketPath: String
    var daemon: Process?
    let fake: FakeConfluence
    static let email = "daemon@example.com"
    static let token = "daemon-token-\(UUID().uuidString.prefix(12))"

    static let binaries: URL = {
        // /proc/self/exe is the test runner inside the build directory (…/debug/TributaryPackageTests.xctest).
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "")
        var directory = exe.deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("tributaryd").path) { return directory }
            directory.deleteLastPathComponent()
        }
        return exe.deletingLastPathComponent()
    }()

    static var tributaryd: String { binaries.appendingPathComponent("tributaryd").path }
    static var tributaryctl: String { binaries.appendingPathComponent("tributaryctl").path }

    init(fake: FakeConfluence, directory: String? = nil) throws {
        self.fake = fake
        self.directory = directory ?? NSTemporaryDirectory() + "tributary-daemon-\(UUID().uuidString.prefix(8))"
        stateDirectory = self.directory + "/state"
        socketPath = self.directory + "/control.sock"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        try Self.token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
    }

    var tokenFile: String { directory + "/token" }
    var logFile: String { directory + "/tributaryd.log" }
    var spaceURL: String { fake.origin + "/wiki/spaces/GEN" }

    /// Starts the daemon and waits until its socket answers.
    func startDaemon(extraArguments: [String] = [], environment: [String: String] = [:]) async throws {
        let process = Process.withSignalsUnblocked(
            [Self.tributaryd, "--state-dir", stateDirectory, "--socket", socketPath, "--log", "stderr"] + extraArguments)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "LISTEN_FDS")
        env.removeValue(forKey: "JOURNAL_STREAM")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if !FileManager.default.fileExists(atPath: logFile) { _ = FileManager.default.createFile(atPath: logFile, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        daemon = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning { throw DaemonTestError("tributaryd exited at start: \(tail())") }
            if FileManager.default.fileExists(atPath: socketPath), (try? await ctl(["health", "--json"]))?.status == 0 { return }
            try await Task.sleep(for: .milliseconds(30))
        }
        throw DaemonTestError("tributaryd did not listen within 30 s: \(tail())")
    }

    /// SIGKILL, as a crash.
    func killDaemon() async {
        guard let daemon, daemon.isRunning else { return }
        kill(daemon.processIdentifier, SIGKILL)
        while daemon.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// SIGTERM; returns the exit status and how long the stop took.
    @discardableResult
    func stopDaemon(timeout: TimeInterval = 30) async -> (status: Int32, seconds: Double) {
        guard let daemon, daemon.isRunning else { return (daemon?.terminationStatus ?? 0, 0) }
        let start = Date()
        daemon.terminate()
        while daemon.isRunning, Date().timeIntervalSince(start) < timeout { try? await Task.sleep(for: .milliseconds(10)) }
        if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) }
        while daemon.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
        return (daemon.terminationStatus, Date().timeIntervalSince(start))
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
                throw DaemonTestError("not a JSON object: \(stdout)")
            }
            return object
        }
    }

    /// Runs `tributaryctl --socket S ARGS…` and collects its output.
    func ctl(_ arguments: [String], stdin: String? = nil, prefix: [String] = []) async throws -> Output {
        try await Self.run(prefix + [Self.tributaryctl, "--socket", socketPath] + arguments, stdin: stdin)
    }

    static func run(_ command: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        // Drain on dedicated threads (never the cooperative pool, which has only as many threads
        // as cores) so a full pipe never stalls the child and a long-running child never stalls us.
        async let stdoutData = readToEnd(out.fileHandleForReading)
        async let stderrData = readToEnd(err.fileHandleForReading)
        let (o, e) = await (stdoutData, stderrData)
        while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        return Output(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// A Python that can import `module`: $TRIBUTARY_PYTHON (scripts/test sets it) or the project venv.
    static func python(importing module: String) -> String? {
        var candidates: [String] = []
        if let python = ProcessInfo.processInfo.environment["TRIBUTARY_PYTHON"] { candidates.append(python) }
        candidates.append(FakeConfluence.repositoryRoot.appendingPathComponent(".build/python-venv/bin/python").path)
        return candidates.first { candidate in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: candidate)
            process.arguments = ["-c", "import \(module)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }

    static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }

    /// Creates datastore `name` over the fake's space `space` (the generated space by default).
    func create(_ name: String = "gen", space: String = "GEN", extra: [String] = []) async throws {
        let url = fake.origin + "/wiki/spaces/" + space
        let result = try await ctl(["create", name, "--url", url, "--email", Self.email, "--token-file", tokenFile] + extra)
        guard result.status == 0 else { throw DaemonTestError("create failed (\(result.status)): \(result.stderr)") }
    }

    func waitReady(_ name: String = "gen", timeout: Int = 300) async throws {
        let result = try await ctl(["watch", name, "--until", "ready", "--timeout", String(timeout)])
        guard result.status == 0 else { throw DaemonTestError("watch ended with \(result.status): \(result.stderr) \(result.stdout.suffix(400)) \(tail())") }
    }

    func tail(_ bytes: Int = 1_500) -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return String(text.suffix(bytes))
    }

    /// Ends a daemon still running (a test that never stopped it, or one that failed part-way:
    /// it would outlive the test run) and deletes the directory.
    func remove() {
        if let daemon, daemon.isRunning {
            kill(daemon.processIdentifier, SIGKILL)
            while daemon.isRunning { usleep(5_000) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct DaemonTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

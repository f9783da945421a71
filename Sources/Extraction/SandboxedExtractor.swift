import CSandboxSpawn
import FoundationEssentials
import Glibc
import TaskThreads

/// The production ``TextExtractor``: one `tributary-extract` process per file, so a hostile file
/// can fail only itself.
///
/// The child runs in a new session with a minimal environment, stdin closed, the file as
/// descriptor 3 and nothing else of the daemon's open (not its state directory, sockets or logs),
/// `PR_SET_NO_NEW_PRIVS`, a parent-death SIGKILL, `RLIMIT_AS` = ``ExtractionLimits/memoryBytes``,
/// `RLIMIT_CPU` = ``ExtractionLimits/cpuSeconds``, `RLIMIT_FSIZE` = 0 (it writes no file),
/// a small `RLIMIT_NOFILE`, and a SIGKILL after ``ExtractionLimits/wallSeconds``. No network:
/// a seccomp filter makes every `socket(2)` (and `io_uring_setup`) fail with EACCES, which holds
/// everywhere, also under the daemon unit's `RestrictNamespaces=yes`; where the kernel also lets
/// it make namespaces (root, or unprivileged user namespaces outside that unit) the child gets a
/// network namespace of its own with only a downed loopback. The state directory is out of reach:
/// the child inherits no descriptor of it, is handed the file's descriptor rather than a path, and,
/// where the kernel has Landlock, may read only the system's directories (``readablePaths(helper:)``),
/// not /var, /run, /tmp or /home, and write nothing anywhere.
/// The blocking wait runs on a thread of its own, one file at a time.
public struct SandboxedExtractor: TextExtractor {
    /// The helper executable.
    public let helperPath: String
    private let executor: ThreadPoolExecutor

    /// Open descriptors the helper may have: stdio, the file, the exec report pipe, and a few for
    /// libraries (poppler's fontconfig probe, /proc reads of the runtime).
    static let openFileLimit = 32
    /// stderr bytes kept to tell an allocation failure from a crash (never shown: it may quote the file).
    static let stderrCapacity = 8_192

    /// - Parameters:
    ///   - helperPath: the `tributary-extract` executable (see ``helperBesideExecutable()``).
    ///   - executor: where the blocking wait runs; by default one thread shared by every
    ///     extractor of the process, so at most one file is extracted at a time. That thread runs
    ///     at nice 10, and the helper inherits the priority of the thread that forks it.
    public init(helperPath: String, executor: ThreadPoolExecutor? = nil) {
        self.helperPath = helperPath
        self.executor = executor ?? Self.sharedExecutor
    }

    /// What the helper may read and execute where the kernel has Landlock: the system's programs,
    /// libraries and configuration, /proc, /sys and /dev, the Swift runtime's directory, and the
    /// helper's own. Not /var (the state directory), /run (credentials, the control socket),
    /// /tmp or /home. A state directory placed under one of these is not protected so.
    static func readablePaths(helper: String) -> [String] {
        var paths = ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/opt", "/proc", "/sys", "/dev"]
        if let slash = helper.lastIndex(of: "/") { paths.append(String(helper[..<slash])) }
        if let runtime = swiftRuntimeDirectory { paths.append(runtime) }
        return paths
    }

    /// The directory libswiftCore.so was loaded from (a toolchain's, when not under /usr).
    private static let swiftRuntimeDirectory: String? = {
        let fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < 8 * 1_048_576 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasSuffix("/libswiftCore.so") {
            guard let start = line.firstIndex(of: "/"), let slash = line.lastIndex(of: "/") else { continue }
            return String(line[start..<slash])
        }
        return nil
    }()

    /// The default: one thread for the process, made on first use.
    private static let sharedExecutor = ThreadPoolExecutor(name: "extract", threads: 1, priority: .background(nice: 10))

    /// `tributary-extract` in the directory of the running executable (where `scripts/install`
    /// and `swift build` put it beside `tributaryd`).
    public static func helperBesideExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return HelperProtocol.executableName }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return HelperProtocol.executableName }
        return String(path[...slash]) + HelperProtocol.executableName
    }

    public func extract(
        path: String, format: DocumentFormat, limits: ExtractionLimits
    ) async throws(ExtractionFailure) -> ExtractedDocument {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw ExtractionFailure(.extractionFailed, "the downloaded file could not be opened (errno \(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw ExtractionFailure(.extractionFailed, "the downloaded file is not a regular file")
        }
        guard Int(info.st_size) <= limits.maxFileBytes else {
            throw ExtractionFailure(.tooLarge, "the file has \(info.st_size) bytes, more than the limit of \(limits.maxFileBytes)")
        }
        let helper = helperPath
        let run = await withTaskExecutorPreference(executor) {
            Self.run(helper: helper, fd: fd, format: format, limits: limits)
        }
        return try Self.interpret(run, format: format, limits: limits)
    }

    /// What one helper run left: its ending and its output.
    struct Run: Sendable {
        var result: tributary_sandbox_result
        var stdout: [UInt8]
        var stderr: [UInt8]
        var spawned: Bool
    }

    private static func run(helper: String, fd: Int32, format: DocumentFormat, limits: ExtractionLimits) -> Run {
        let arguments = [helper] + HelperProtocol.arguments(
            input: HelperProtocol.descriptorInput(HelperProtocol.fileDescriptor), format: format, limits: limits)
        // A minimal environment, nothing of the daemon's (no credentials directory): a UTF-8
        // locale, and no Swift backtrace on a crash (it would dump memory, file bytes included).
        let environment = ["LC_ALL=C.UTF-8", "SWIFT_BACKTRACE=enable=no"]
        var sandboxLimits = tributary_sandbox_limits(
            address_space_bytes: Int64(limits.memoryBytes), cpu_seconds: Int64(max(1, limits.cpuSeconds)),
            file_size_bytes: 0, open_files: Int64(openFileLimit), wall_seconds: max(0.1, limits.wallSeconds),
            // JSON escapes at most 6 bytes per character (\uXXXX); headings and framing on top.
            stdout_capacity: max(1, limits.maxCharacters) * 6 + 1_048_576, stderr_capacity: stderrCapacity,
            readable_paths: nil)
        var result = tributary_sandbox_result()
        var output: UnsafeMutablePointer<UInt8>?
        var outputLength = 0
        var errors = [CChar](repeating: 0, count: stderrCapacity)
        var errorsLength = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                withCStrings(readablePaths(helper: helper)) { readable in
                    sandboxLimits.readable_paths = UnsafeRawPointer(readable).assumingMemoryBound(to: UnsafePointer<CChar>?.self)
                    return tributary_sandbox_run(
                        helper, argv, envp, fd, &sandboxLimits, &output, &outputLength, &errors, &errorsLength, &result)
                }
            }
        }
        defer { free(output) }
        let stdout = output.map { Array(UnsafeBufferPointer(start: $0, count: outputLength)) } ?? []
        let stderr = errors[0..<errorsLength].map { UInt8(bitPattern: $0) }
        return Run(result: result, stdout: stdout, stderr: stderr, spawned: status == 0)
    }

    /// Maps a helper run onto a document or a typed failure.
    static func interpret(_ run: Run, format: DocumentFormat, limits: ExtractionLimits) throws(ExtractionFailure) -> ExtractedDocument {
        let result = run.result
        guard run.spawned else {
            throw ExtractionFailure(.extractionFailed, "the extraction helper could not be started (errno \(result.spawn_errno))")
        }
        if result.timed_out != 0 {
            throw ExtractionFailure(.timedOut, "extraction ran past its wall-clock limit and was killed")
        }
        if result.output_overflow != 0 {
            throw ExtractionFailure(.resourceLimit, "the extraction helper wrote more output than the character limit allows")
        }
        if result.exited == 0 {
            let signal = result.signal
            switch signal {
            case SIGXCPU: throw ExtractionFailure(.timedOut, "extraction ran past its CPU-time limit")
            case SIGXFSZ: throw ExtractionFailure(.resourceLimit, "the extraction helper tried to write a file")
            case SIGKILL: throw ExtractionFailure(.resourceLimit, "the kernel killed the extraction helper (CPU or memory limit)")
            default:
                if mentionsAllocationFailure(run.stderr) {
                    throw ExtractionFailure(.resourceLimit, "extraction needed more memory than its limit allows")
                }
                throw ExtractionFailure(.extractionFailed, "the extraction helper crashed with signal \(signal) (\(signalName(signal)))")
            }
        }
        let code = result.exit_code
        if code == HelperProtocol.exitDocument || code == HelperProtocol.exitFailure,
           let outcome = try? JSONDecoder().decode(ExtractionOutcome.self, from: Data(run.stdout)) {
            if let failure = outcome.failure { throw failure }
            // The child is untrusted: what it claims must fit what it was asked for.
            if let document = outcome.document {
                guard document.format == format, document.characterCount <= limits.maxCharacters else {
                    throw ExtractionFailure(.extractionFailed, "the extraction helper returned a document outside its limits")
                }
                return document
            }
        }
        if mentionsAllocationFailure(run.stderr) {
            throw ExtractionFailure(.resourceLimit, "extraction needed more memory than its limit allows")
        }
        throw ExtractionFailure(.extractionFailed, "the extraction helper exited with status \(code) and no result")
    }

    /// What the Swift runtime, glibc, glib and the C++ runtime print when an allocation fails
    /// (RLIMIT_AS tripped), before they abort.
    static func mentionsAllocationFailure(_ stderr: [UInt8]) -> Bool {
        let text = String(decoding: stderr, as: UTF8.self)
        let markers = ["Could not allocate memory", "bad_alloc", "failed to allocate", "Cannot allocate memory", "out of memory"]
        return markers.contains { text.contains($0) }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}

/// Calls `body` with a NULL-terminated C array of the strings (valid only during the call).
private func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// What `tributary-extract` writes to stdout: exactly one of a document or a failure, as JSON.
/// The exit code says which (``HelperProtocol/exitDocument``, ``HelperProtocol/exitFailure``).
public struct ExtractionOutcome: Sendable, Equatable, Codable {
    /// The text, when extraction succeeded.
    public var document: ExtractedDocument?
    /// Why there is no text, when it did not.
    public var failure: ExtractionFailure?

    /// A success.
    public init(document: ExtractedDocument) {
        self.document = document
        self.failure = nil
    }

    /// A stated failure.
    public init(failure: ExtractionFailure) {
        self.document = nil
        self.failure = failure
    }
}

/// The command line between the daemon and `tributary-extract`, defined once for both sides.
public enum HelperProtocol {
    /// The helper's executable name, installed beside `tributaryd`.
    public static let executableName = "tributary-extract"
    /// The descriptor the sandbox hands the file on (stdin stays closed).
    public static let fileDescriptor: Int32 = 3

    /// Exit codes: a document on stdout; a stated failure on stdout; a usage error (nothing on stdout).
    public static let exitDocument: Int32 = 0
    public static let exitFailure: Int32 = 1
    public static let exitUsage: Int32 = 2

    /// The arguments (without argv[0]) that make the helper read `input` (`--fd N`, a path or `-`
    /// for stdin) as `format` within `limits`.
    public static func arguments(input: String, format: DocumentFormat, limits: ExtractionLimits) -> [String] {
        [
            "--format", format.rawValue, "--input", input,
            "--max-file-bytes", String(limits.maxFileBytes), "--max-characters", String(limits.maxCharacters),
        ]
    }

    /// The input argument naming a descriptor.
    public static func descriptorInput(_ fd: Int32) -> String { "fd:\(fd)" }

    /// Parsed helper arguments.
    public struct Request: Sendable, Equatable {
        /// A path, `-` (stdin) or `fd:N`.
        public var input: String
        /// The declared format.
        public var format: DocumentFormat
        /// The file-size and character limits (time and memory are the sandbox's).
        public var limits: ExtractionLimits
    }

    /// Parses what ``arguments(input:format:limits:)`` makes; a ``UsageError`` on anything else.
    public static func parse(_ arguments: [String]) -> Result<Request, UsageError> {
        var input: String?
        var format: DocumentFormat?
        var limits = ExtractionLimits()
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            guard index + 1 < arguments.count else { return .failure(UsageError("\(flag) needs a value")) }
            let value = arguments[index + 1]
            switch flag {
            case "--format":
                guard let parsed = DocumentFormat(rawValue: value) else {
                    return .failure(UsageError("unknown format '\(value)'"))
                }
                format = parsed
            case "--input": input = value
            case "--max-file-bytes", "--max-characters":
                guard let number = Int(value), number > 0 else {
                    return .failure(UsageError("\(flag) must be a positive integer"))
                }
                if flag == "--max-file-bytes" { limits.maxFileBytes = number } else { limits.maxCharacters = number }
            default: return .failure(UsageError("unknown argument '\(flag)'"))
            }
            index += 2
        }
        guard let format else { return .failure(UsageError("--format is required")) }
        return .success(Request(input: input ?? "-", format: format, limits: limits))
    }

    /// A command line the helper does not understand.
    public struct UsageError: Error, Sendable, Equatable {
        /// What is wrong, for the usage line.
        public var message: String
        /// A usage error saying `message`.
        public init(_ message: String) { self.message = message }
    }
}

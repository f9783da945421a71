// tributary-extract: one file's text as JSON on stdout (issue #16). The daemon runs it per file
// inside SandboxedExtractor's limits; it can also be run by hand:
//
//     tributary-extract --format pdf --input report.pdf [--max-file-bytes N] [--max-characters N]
//
// `--input` takes a path, `-` for stdin, or `fd:N` for an inherited descriptor. Exit 0: an
// ExtractedDocument; exit 1: an ExtractionFailure (both as ExtractionOutcome JSON); exit 2: usage.
//
//     tributary-extract --sandboxed --format pdf --input report.pdf
//
// does what the daemon does: runs this same executable on the file through SandboxedExtractor
// (rlimits, no network, only the file's descriptor), with the default time and memory limits.
import Extraction
import ExtractionFormats
import FoundationEssentials
import Glibc

/// Reads at most `limit + 1` bytes of `fd` (one more than allowed tells "too large").
func readAll(_ fd: Int32, limit: Int) -> [UInt8]? {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while bytes.count <= limit {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, limit + 1 - bytes.count)) }
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
}

func emit(_ outcome: ExtractionOutcome) -> Int32 {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(outcome) else { return HelperProtocol.exitUsage }
    var output = Array(data)
    output.append(UInt8(ascii: "\n"))
    var written = 0
    while written < output.count {
        let count = output[written...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        if count <= 0 { return HelperProtocol.exitUsage }
        written += count
    }
    return outcome.failure == nil ? HelperProtocol.exitDocument : HelperProtocol.exitFailure
}

func usage(_ message: String) -> Never {
    FileHandleStderr.write("tributary-extract: \(message)\n"
        + "usage: tributary-extract --format FORMAT [--input PATH|-|fd:N] [--max-file-bytes N] [--max-characters N]\n")
    exit(HelperProtocol.exitUsage)
}

enum FileHandleStderr {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
let sandboxed = arguments.first == "--sandboxed"
if sandboxed { arguments.removeFirst() }
let request: HelperProtocol.Request
switch HelperProtocol.parse(arguments) {
case .success(let parsed): request = parsed
case .failure(let error): usage(error.message)
}

if sandboxed {
    guard request.input != "-", !request.input.hasPrefix("fd:") else { usage("--sandboxed needs a file path") }
    let extractor = SandboxedExtractor(helperPath: SandboxedExtractor.helperBesideExecutable())
    do {
        let document = try await extractor.extract(path: request.input, format: request.format, limits: request.limits)
        exit(emit(ExtractionOutcome(document: document)))
    } catch {
        exit(emit(ExtractionOutcome(failure: error)))
    }
}

let fd: Int32
if request.input == "-" {
    fd = 0
} else if request.input.hasPrefix("fd:"), let number = Int32(request.input.dropFirst(3)), number >= 0 {
    fd = number
} else {
    fd = open(request.input, O_RDONLY | O_CLOEXEC)
    if fd < 0 { usage("cannot open \(request.input) (errno \(errno))") }
}
guard let bytes = readAll(fd, limit: request.limits.maxFileBytes) else {
    exit(emit(ExtractionOutcome(failure: ExtractionFailure(.extractionFailed, "the file could not be read (errno \(errno))"))))
}
do {
    let document = try DocumentReader.extract(bytes, format: request.format, limits: request.limits)
    exit(emit(ExtractionOutcome(document: document)))
} catch {
    exit(emit(ExtractionOutcome(failure: error)))
}

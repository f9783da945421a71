import Extraction
import Testing

@Suite("Helper command line")
struct HelperProtocolTests {
    @Test func argumentsRoundTrip() throws {
        let limits = ExtractionLimits(maxFileBytes: 1_234, maxCharacters: 567)
        let arguments = HelperProtocol.arguments(input: HelperProtocol.descriptorInput(3), format: .xlsx, limits: limits)
        let request = try HelperProtocol.parse(arguments).get()
        #expect(request.input == "fd:3")
        #expect(request.format == .xlsx)
        #expect(request.limits.maxFileBytes == 1_234 && request.limits.maxCharacters == 567)
    }

    @Test(arguments: [
        ["--input", "x"], ["--format", "exe"], ["--format", "pdf", "--max-characters", "0"],
        ["--format", "pdf", "--max-file-bytes"], ["--format", "pdf", "--verbose", "1"],
    ])
    func badCommandLinesAreUsageErrors(arguments: [String]) {
        #expect(throws: HelperProtocol.UsageError.self) { try HelperProtocol.parse(arguments).get() }
    }
}

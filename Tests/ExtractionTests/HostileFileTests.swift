import Extraction
import ExtractionFormats
import Testing

/// Each hostile file fails alone, with its reason, and the extractor goes on working.
@Suite("Hostile files")
struct HostileFileTests {
    let extractor = SandboxedExtractor(helperPath: Fixtures.helper)

    func failure(
        _ name: String, _ format: DocumentFormat, limits: ExtractionLimits = ExtractionLimits(),
        helper: String? = nil
    ) async -> ExtractionFailure? {
        let extractor = helper.map { SandboxedExtractor(helperPath: $0) } ?? extractor
        do {
            _ = try await extractor.extract(path: Fixtures.path(name), format: format, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func truncatedPDFIsCorrupt() async {
        #expect(await failure("truncated.pdf", .pdf)?.reason == .corrupt)
    }

    @Test func encryptedPDFIsEncrypted() async {
        #expect(await failure("encrypted.pdf", .pdf)?.reason == .encrypted)
    }

    @Test func pdfWithoutTextLayerHasNoText() async {
        #expect(await failure("blank.pdf", .pdf)?.reason == .noText)
    }

    @Test func zipBombIsAResourceLimit() async {
        let failure = await failure("bomb.docx", .docx)
        #expect(failure?.reason == .resourceLimit)
        #expect(failure?.message.contains("ZIP bomb") == true)
    }

    @Test(arguments: [
        ("sample.docx", DocumentFormat.pdf), ("sample.pdf", .docx), ("sample.docx", .xlsx), ("sample.ods", .odt),
        ("sample.pdf", .text), ("sample.txt", .json), ("sample.txt", .xml), ("sample.docx", .csv),
    ])
    func declaredTypeThatLiesIsAMismatch(name: String, format: DocumentFormat) async {
        #expect(await failure(name, format)?.reason == .typeMismatch)
    }

    @Test func fileOverTheSizeLimitIsRefusedBeforeTheHelperRuns() async {
        // A helper that would fail differently proves the size check comes first.
        let never = try? Fixtures.script("never.sh", "exit 99")
        let failure = await failure("large.txt", .text, limits: ExtractionLimits(maxFileBytes: 1_048_576), helper: never)
        #expect(failure?.reason == .tooLarge)
    }

    @Test func helperRefusesAFileOverTheSizeLimitToo() throws {
        let bytes = try Fixtures.bytes("large.txt")
        #expect(throws: ExtractionFailure.self) {
            try DocumentReader.extract(bytes, format: .text, limits: ExtractionLimits(maxFileBytes: 1_048_576))
        }
    }

    @Test func slowPDFIsKilledAtTheWallClockLimit() async {
        let clock = ContinuousClock()
        let start = clock.now
        let failure = await failure("slow.pdf", .pdf, limits: ExtractionLimits(cpuSeconds: 60, wallSeconds: 1))
        #expect(failure?.reason == .timedOut)
        #expect(failure?.message.contains("wall-clock") == true)
        #expect(clock.now - start < .seconds(5))
    }

    @Test func slowPDFStopsAtTheCPULimit() async {
        let failure = await failure("slow.pdf", .pdf, limits: ExtractionLimits(cpuSeconds: 1, wallSeconds: 60))
        #expect(failure?.reason == .timedOut)
        #expect(failure?.message.contains("CPU") == true)
    }

    @Test func memoryIsBoundedByTheChildsLimitAndTheParentGoesOn() async throws {
        // 64 MiB of address space loads the helper and its libraries, but not its work on a 1 MiB file.
        var limits = ExtractionLimits(memoryBytes: 64 * 1_048_576)
        limits.maxFileBytes = 4 * 1_048_576
        let failure = await failure("large.txt", .text, limits: limits)
        #expect(failure?.reason == .resourceLimit, "\(String(describing: failure))")
        let document = try await extractor.extract(path: Fixtures.path("sample.pdf"), format: .pdf, limits: ExtractionLimits())
        #expect(document.sections.count == 3)
    }

    @Test func crashIsExtractionFailedWithTheSignal() async throws {
        let crasher = try Fixtures.script("crash.sh", "kill -SEGV $$")
        let failure = await failure("sample.txt", .text, helper: crasher)
        #expect(failure?.reason == .extractionFailed)
        #expect(failure?.message.contains("SIGSEGV") == true)
    }

    @Test func missingHelperIsExtractionFailed() async {
        let failure = await failure("sample.txt", .text, helper: Fixtures.directory + "/no-such-helper")
        #expect(failure?.reason == .extractionFailed)
        #expect(failure?.message.contains("could not be started") == true)
    }

    @Test func garbageOutputIsExtractionFailed() async throws {
        let liar = try Fixtures.script("garbage.sh", "echo not json; exit 0")
        #expect(await failure("sample.txt", .text, helper: liar)?.reason == .extractionFailed)
    }

    @Test func runawayOutputIsCut() async throws {
        let flood = try Fixtures.script("flood.sh", "yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        #expect(await failure("sample.txt", .text, limits: ExtractionLimits(maxCharacters: 10), helper: flood)?.reason == .resourceLimit)
    }

    @Test func theHelperSeesOnlyItsFileAMinimalEnvironmentAndNoStdin() async throws {
        // Reports its open descriptors and environment as the document's text.
        let probe = try Fixtures.script("probe.sh", """
            fds=$(ls /proc/self/fd | tr '\\n' ' ')
            envs=$(env | cut -d= -f1 | sort | tr '\\n' ' ')
            printf '{"document":{"format":"txt","sections":[{"text":"fds %s env %s"}],"truncated":false}}' "$fds" "$envs"
            """)
        let document = try await SandboxedExtractor(helperPath: probe)
            .extract(path: Fixtures.path("sample.txt"), format: .text, limits: ExtractionLimits())
        let text = try #require(document.sections.first?.text)
        let fds = text.split(separator: " env ")[0].split(separator: " ").dropFirst().compactMap { Int($0) }
        // 1, 2 (pipes), 3 (the file), and the one `ls` opened to read /proc/self/fd: never stdin.
        #expect(!fds.contains(0))
        #expect(fds.filter { $0 != 3 && $0 > 2 }.count <= 1, "\(fds)")
        #expect(fds.contains(3))
        let names = text.split(separator: " env ")[1].split(separator: " ").map(String.init)
        #expect(Set(names).isSubset(of: ["LC_ALL", "SWIFT_BACKTRACE", "PWD", "SHLVL", "_", "OLDPWD"]), "\(names)")
    }
}

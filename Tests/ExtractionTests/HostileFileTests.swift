import Extraction
import ExtractionFormats
import Foundation
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

    @Test func truncatedDOCXIsCorrupt() async {
        #expect(await failure("truncated.docx", .docx)?.reason == .corrupt)
    }

    @Test(arguments: [("encrypted.docx", DocumentFormat.docx), ("encrypted.odt", .odt)])
    func passwordProtectedOfficeFilesAreEncrypted(name: String, format: DocumentFormat) async {
        #expect(await failure(name, format)?.reason == .encrypted)
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
        // Within the size and inflation caps, but its parsed tree needs more than 256 MiB of
        // address space: the child's RLIMIT_AS stops it, not the machine.
        let failure = await failure("memory.docx", .docx, limits: ExtractionLimits(memoryBytes: 256 * 1_048_576))
        #expect(failure?.reason == .resourceLimit, "\(String(describing: failure))")
        #expect(failure?.message.contains("memory") == true)
        // And the extractor goes on with the next file.
        let next = try await extractor.extract(path: Fixtures.path("sample.pdf"), format: .pdf, limits: ExtractionLimits())
        #expect(next.sections.count == 3)
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

    @Test func aDocumentOverTheLimitsFromTheHelperIsRefused() async throws {
        // A compromised helper cannot hand back more than it was asked for, or another format.
        let liar = try Fixtures.script("liar.sh", """
            printf '{"document":{"format":"txt","sections":[{"text":"0123456789abcdef"}],"truncated":false}}'
            """)
        #expect(await failure("sample.txt", .text, limits: ExtractionLimits(maxCharacters: 10), helper: liar)?.reason == .extractionFailed)
        #expect(await failure("sample.txt", .pdf, helper: liar)?.reason == .extractionFailed)
        let document = try await SandboxedExtractor(helperPath: liar)
            .extract(path: Fixtures.path("sample.txt"), format: .text, limits: ExtractionLimits(maxCharacters: 16))
        #expect(document.characterCount == 16)
    }

    @Test func runawayOutputIsCut() async throws {
        let flood = try Fixtures.script("flood.sh", "yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        #expect(await failure("sample.txt", .text, limits: ExtractionLimits(maxCharacters: 10), helper: flood)?.reason == .resourceLimit)
    }

    @Test func theHelperSeesOnlyItsFileAMinimalEnvironmentAndNoStdin() async throws {
        // Reports whether stdin was open (checked first: a stat opens nothing, and a closed 0 is
        // the lowest free number, reused by the shell's own pipes below), the shell's descriptors
        // (as fd=target) and environment names as the text.
        let probe = try Fixtures.script("probe.sh", """
            if [ -e /proc/$$/fd/0 ]; then stdin=open; else stdin=closed; fi
            fds=stdin=$stdin" "$(for fd in /proc/$$/fd/*; do printf '%s=%s ' "${fd##*/}" "$(readlink "$fd")"; done)
            envs=$(env | cut -d= -f1 | sort | tr '\\n' ' ')
            printf '{"document":{"format":"txt","sections":[{"text":"%s| %s"}],"truncated":false}}' "$fds" "$envs"
            """)
        let document = try await SandboxedExtractor(helperPath: probe)
            .extract(path: Fixtures.path("sample.txt"), format: .text, limits: ExtractionLimits())
        let text = try #require(document.sections.first?.text)
        let parts = text.split(separator: "|", maxSplits: 1)
        var descriptors: [Int: String] = [:]
        for entry in parts[0].split(separator: " ") {
            let pair = entry.split(separator: "=", maxSplits: 1)
            if pair.count == 2, let fd = Int(pair[0]) { descriptors[fd] = String(pair[1]) }
        }
        #expect(parts[0].hasPrefix("stdin=closed "), "\(parts[0])")
        #expect(descriptors[1]?.hasPrefix("pipe:") == true && descriptors[2]?.hasPrefix("pipe:") == true)
        #expect(descriptors[3]?.hasSuffix("/sample.txt") == true)
        // Anything else is the shell's (its script, its substitution pipe), never one of the daemon's.
        #expect(descriptors.filter { $0.key > 3 || $0.key == 0 }.values.allSatisfy { $0.hasSuffix("/probe.sh") || $0.hasPrefix("pipe:") }, "\(descriptors)")
        let names = parts.count > 1 ? parts[1].split(separator: " ").map(String.init) : []
        #expect(Set(names).isSubset(of: ["LC_ALL", "SWIFT_BACKTRACE", "PWD", "SHLVL", "_", "OLDPWD"]), "\(names)")
    }
}

/// The network namespace: where the kernel allows one (root, or unprivileged user namespaces on),
/// the helper sees only a loopback interface that is down.
@Suite("Sandbox network")
struct SandboxNetworkTests {
    @Test func theHelperHasNoNetworkInterfacesButLoopback() async throws {
        let probe = try Fixtures.script("net.sh", """
            names=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\\\n' ' ')
            printf '{"document":{"format":"txt","sections":[{"text":"%s"}],"truncated":false}}' "$names"
            """)
        let document = try await SandboxedExtractor(helperPath: probe)
            .extract(path: Fixtures.path("sample.txt"), format: .text, limits: ExtractionLimits())
        let interfaces = document.sections.first?.text.split(separator: " ").map(String.init) ?? []
        try #require(SandboxNetworkTests.namespacesAvailable, "this kernel refuses network namespaces: nothing to check")
        #expect(interfaces == ["lo"])
    }

    /// Whether this process could make a network namespace (as the sandbox's child tries to).
    static var namespacesAvailable: Bool {
        getuid() == 0 || (try? String(contentsOfFile: "/proc/sys/kernel/unprivileged_userns_clone", encoding: .utf8))?.hasPrefix("1") != false
    }
}

extension SandboxNetworkTests {
    @Test func socketsFailInTheHelperEvenWithoutANamespace() async throws {
        // python3 -c in a shell helper: socket(AF_INET) and socket(AF_UNIX) both refused.
        let probe = try Fixtures.script("socket.sh", """
            result=$(/usr/bin/python3 -c '
            import socket
            out = []
            for family in (socket.AF_INET, socket.AF_UNIX):
                try:
                    socket.socket(family, socket.SOCK_STREAM).close(); out.append("opened")
                except PermissionError:
                    out.append("refused")
            print(" ".join(out))')
            printf '{"document":{"format":"txt","sections":[{"text":"%s"}],"truncated":false}}' "$result"
            """)
        let document = try await SandboxedExtractor(helperPath: probe)
            .extract(path: Fixtures.path("sample.txt"), format: .text, limits: ExtractionLimits())
        #expect(document.sections.first?.text == "refused refused")
    }
}

/// Landlock: the helper reads the system's files and its own directory, never a state directory,
/// and writes nothing, even as the daemon's own user.
@Suite("Sandbox file access")
struct SandboxFileAccessTests {
    @Test func theHelperCannotReadAStateDirectoryOrWriteFiles() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-extract-state-\(getpid())").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        try "secret store".write(toFile: state + "/data.mdb", atomically: true, encoding: .utf8)
        let probe = try Fixtures.script("files.sh", """
            if cat '\(state)/data.mdb' >/dev/null 2>&1; then store=read; else store=denied; fi
            if ls '\(state)' >/dev/null 2>&1; then listing=read; else listing=denied; fi
            if cat /etc/os-release >/dev/null 2>&1; then system=read; else system=denied; fi
            if touch '\(Fixtures.directory)/written-by-helper' 2>/dev/null; then write=done; else write=denied; fi
            printf '{"document":{"format":"txt","sections":[{"text":"%s %s %s %s"}],"truncated":false}}' \
                "$store" "$listing" "$system" "$write"
            """)
        let document = try await SandboxedExtractor(helperPath: probe)
            .extract(path: Fixtures.path("sample.txt"), format: .text, limits: ExtractionLimits())
        #expect(document.sections.first?.text == "denied denied read denied")
        #expect(!FileManager.default.fileExists(atPath: Fixtures.directory + "/written-by-helper"))
    }
}

import Foundation
import SystemdTestSupport
import Testing

/// The helper under the shipped tributaryd.service: the daemon's sandbox (static user, syscall
/// filter with kill on a blocked call, MemoryDenyWriteExecute=, RestrictNamespaces=) must let the
/// daemon spawn it with its rlimits and socket filter, and let it read and extract a file.
@Suite("The helper under the hardened unit", .serialized)
struct UnitSandboxTests {
    // PrivateSystemd needs root (namespaces, overlays); scripts/test runs as root.
    @Test(.enabled(if: getuid() == 0)) func extractionRunsUnderTheDaemonsSandbox() async throws {
        // PrivateTmp= and ProtectHome= hide a build tree under /tmp or /home, so the unit runs
        // copies from /var/lib, which the sandbox shows read-only.
        let directory = "/var/lib/tributary-extract-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        let helper = directory + "/tributary-extract"
        try FileManager.default.copyItem(atPath: Fixtures.helper, toPath: helper)
        for name in ["sample.pdf", "bomb.docx"] {
            try FileManager.default.copyItem(atPath: Fixtures.path(name), toPath: directory + "/" + name)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/" + name)
        }
        let exchange = PrivateSystemd.exchangeDirectory
        // Two runs in one start: a real extraction, then a hostile file that must fail alone.
        // Both write one line of JSON to the unit's stdout (the static user cannot create files).
        let script = "\(helper) --sandboxed --format pdf --input \(directory)/sample.pdf; "
            + "\(helper) --sandboxed --format docx --input \(directory)/bomb.docx; exit 0"
        let units = [
            PrivateSystemd.UnitFile(name: "tributaryd.service", contents: try repositoryFile("systemd/tributaryd.service")),
            PrivateSystemd.UnitFile(name: "tributaryd.service.d/test.conf", contents: """
                [Service]
                Type=oneshot
                ExecStart=
                ExecStart=/bin/sh -c '\(script)'
                SystemCallErrorNumber=kill
                Restart=no
                WatchdogSec=0
                StandardOutput=file:\(exchange)/report
                StandardError=file:\(exchange)/errors
                """),
        ]
        let result = try await PrivateSystemd.run(
            unit: "tributaryd.service", units: units, sysusers: [repositoryPath("systemd/tributary.sysusers")], files: [:])
        #expect(result.status == 0, "\(result.managerLog.suffix(3000)) \(result.files["errors"] ?? "")")
        #expect(!result.managerLog.contains("status=31/SYS"))
        let report = try #require(result.files["report"], "no output; errors: \(result.files["errors"] ?? "")")
        let lines = report.split(separator: "\n")
        try #require(lines.count == 2, "\(report) \(result.files["errors"] ?? "")")
        #expect(lines[0].contains("\"pageNumber\":3") && lines[0].contains("flamingo protocol"), "\(lines[0])")
        #expect(lines[1].contains("\"reason\":\"resource_limit\""), "\(lines[1])")
    }

    private func repositoryPath(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../" + relative)
            .standardizedFileURL.path
    }

    private func repositoryFile(_ relative: String) throws -> String {
        try String(contentsOfFile: repositoryPath(relative), encoding: .utf8)
    }
}

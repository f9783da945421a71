import Foundation
import SystemdTestSupport
import Testing

/// scripts/install staged into a DESTDIR with stand-in binaries (--no-build), then removed.
@Suite("scripts/install", .serialized)
struct InstallTests {
    /// A directory with a fake tributaryd and a tributaryctl that prints completions and,
    /// when `manual` is true, a man page.
    private func fakeBinaries(manual: Bool) throws -> String {
        let directory = NSTemporaryDirectory() + "/tributary-bin-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "#!/bin/sh\nexit 0\n".write(toFile: directory + "/tributaryd", atomically: false, encoding: .utf8)
        try "#!/bin/sh\nexit 0\n".write(toFile: directory + "/tributary-extract", atomically: false, encoding: .utf8)
        try """
            #!/bin/sh
            case "$1" in
                --generate-completion-script) echo "# $2 completion for tributaryctl" ;;
                manual) \(manual ? "echo '.TH TRIBUTARYCTL 1'" : "echo 'unknown command' >&2; exit 64") ;;
                *) exit 64 ;;
            esac
            """.write(toFile: directory + "/tributaryctl", atomically: false, encoding: .utf8)
        for name in ["tributaryd", "tributaryctl", "tributary-extract"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory + "/" + name)
        }
        return directory
    }

    /// Runs `body` with a fresh DESTDIR path (not yet created) and fake binaries, then removes both.
    private func staged(manual: Bool, _ body: (_ destdir: String, _ binaries: String) async throws -> Void) async throws {
        let destdir = NSTemporaryDirectory() + "/tributary-destdir-\(UUID().uuidString.prefix(8))"
        let binaries = try fakeBinaries(manual: manual)
        defer {
            try? FileManager.default.removeItem(atPath: destdir)
            try? FileManager.default.removeItem(atPath: binaries)
        }
        try await body(destdir, binaries)
    }

    private func install(_ arguments: [String], destdir: String) async throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["DESTDIR"] = destdir
        return try await Command.run(Repository.path("scripts/install"), arguments, environment: environment)
    }

    /// Every file and directory under `root`, as absolute paths inside it (directories end in /).
    private func tree(_ root: String) throws -> Set<String> {
        var result: Set<String> = []
        let enumerator = try #require(FileManager.default.enumerator(atPath: root))
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            result.insert("/" + relative + (isDirectory.boolValue ? "/" : ""))
        }
        return result
    }

    @Test("Installs binaries, units, sysusers, tmpfiles, catalog, docs, completions and man page; uninstall removes them")
    func installAndUninstall() async throws {
        try await staged(manual: true) { destdir, binaries in try await installAndUninstall(destdir: destdir, binaries: binaries) }
    }

    private func installAndUninstall(destdir: String, binaries: String) async throws {
        let result = try await install(["--no-build", "--bin-dir", binaries], destdir: destdir)
        #expect(result.status == 0, "\(result.standardError)")

        let files = try tree(destdir).filter { !$0.hasSuffix("/") }
        let expected: Set<String> = [
            "/usr/local/bin/tributaryd", "/usr/local/bin/tributaryctl", "/usr/local/bin/tributary-extract",
            "/usr/local/lib/systemd/system/tributaryd.service", "/usr/local/lib/systemd/system/tributaryd.socket",
            "/usr/local/lib/sysusers.d/tributary.conf", "/usr/local/lib/tmpfiles.d/tributary.conf",
            "/usr/local/lib/systemd/catalog/tributary.catalog",
            "/usr/local/share/doc/tributary/README.md", "/usr/local/share/doc/tributary/examples/tributaryd.conf",
            "/usr/local/share/doc/tributary/examples/datastores.d/example.conf.disabled",
            "/usr/local/share/bash-completion/completions/tributaryctl",
            "/usr/local/share/zsh/site-functions/_tributaryctl",
            "/usr/local/share/fish/vendor_completions.d/tributaryctl.fish",
            "/usr/local/share/man/man1/tributaryctl.1",
            "/usr/local/share/tributary/install-manifest",
            "/etc/tributary/tributaryd.conf", "/etc/tributary/datastores.d/example.conf.disabled",
        ]
        #expect(files == expected, "extra: \(files.subtracting(expected)), missing: \(expected.subtracting(files))")
        #expect(FileManager.default.isExecutableFile(atPath: destdir + "/usr/local/bin/tributaryd"))
        let zsh = try String(contentsOfFile: destdir + "/usr/local/share/zsh/site-functions/_tributaryctl", encoding: .utf8)
        #expect(zsh == "# zsh completion for tributaryctl\n")
        #expect(try String(contentsOfFile: destdir + "/usr/local/lib/systemd/system/tributaryd.service", encoding: .utf8)
            == (try Repository.contents("systemd/tributaryd.service")))

        // A second install keeps an edited configuration.
        try "log = stderr\n".write(toFile: destdir + "/etc/tributary/tributaryd.conf", atomically: false, encoding: .utf8)
        let again = try await install(["--no-build", "--bin-dir", binaries], destdir: destdir)
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: destdir + "/etc/tributary/tributaryd.conf", encoding: .utf8) == "log = stderr\n")

        let removal = try await install(["--uninstall"], destdir: destdir)
        #expect(removal.status == 0, "\(removal.standardError)")
        #expect(try tree(destdir) == [
            "/etc/", "/etc/tributary/", "/etc/tributary/tributaryd.conf", "/etc/tributary/datastores.d/",
            "/etc/tributary/datastores.d/example.conf.disabled",
        ])
    }

    @Test("Another prefix: paths in the units follow it, system files go to /etc; no man page is tolerated")
    func otherPrefix() async throws {
        try await staged(manual: false) { destdir, binaries in try await otherPrefix(destdir: destdir, binaries: binaries) }
    }

    private func otherPrefix(destdir: String, binaries: String) async throws {
        let result = try await install(["--prefix", "/opt/tributary", "--no-build", "--bin-dir", binaries], destdir: destdir)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("man page was not installed"))
        let service = try String(contentsOfFile: destdir + "/etc/systemd/system/tributaryd.service", encoding: .utf8)
        #expect(service.contains("\nExecStart=/opt/tributary/bin/tributaryd --state-dir ${STATE_DIRECTORY} "))
        #expect(service.contains("\nDocumentation=file:/opt/tributary/share/doc/tributary/README.md\n"))
        #expect(!service.contains("/usr/local"))
        #expect(FileManager.default.fileExists(atPath: destdir + "/etc/sysusers.d/tributary.conf"))
        #expect(FileManager.default.fileExists(atPath: destdir + "/usr/local/lib/systemd/catalog/tributary.catalog"))
        #expect(!FileManager.default.fileExists(atPath: destdir + "/opt/tributary/share/man/man1/tributaryctl.1"))

        let removal = try await install(["--uninstall", "--prefix", "/opt/tributary"], destdir: destdir)
        #expect(removal.status == 0, "\(removal.standardError)")
        let left = try tree(destdir)
        #expect(left.allSatisfy { $0.hasPrefix("/etc/") }, "\(left)")
        #expect(left.contains("/etc/tributary/tributaryd.conf"))
        #expect(!left.contains("/etc/systemd/system/tributaryd.service"))
    }

    @Test("Missing binaries, bad options and --help")
    func errors() async throws {
        let destdir = NSTemporaryDirectory() + "/tributary-destdir-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: destdir) }
        let empty = NSTemporaryDirectory() + "/tributary-empty-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let missing = try await install(["--no-build", "--bin-dir", empty], destdir: destdir)
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("tributaryd does not exist"))
        #expect(!FileManager.default.fileExists(atPath: destdir))
        let unknown = try await install(["--frobnicate"], destdir: destdir)
        #expect(unknown.status != 0 && unknown.standardError.contains("unknown option --frobnicate"))
        let nothing = try await install(["--uninstall"], destdir: destdir)
        #expect(nothing.status != 0 && nothing.standardError.contains("no install manifest"))
        let help = try await install(["--help"], destdir: destdir)
        #expect(help.status == 0 && help.standardOutput.contains("--uninstall"))
    }
}

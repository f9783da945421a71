import Foundation
import SystemdTestSupport
import Testing
import TributaryEvents

/// SystemdProbe logs through `LoggingSetup.bootstrap` under a private journald; the entries
/// are read back with `journalctl -o json`.
@Suite("Journal logging through a private journald", .serialized)
struct JournalHarnessTests {
    /// A fresh random secret per run, so finding it anywhere means it leaked.
    private let secret = "Pk" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20) + "9z"

    private func runProbe(_ environment: [String: String], output: PrivateJournal.Output) async throws -> PrivateJournal.Result {
        let probe = try BuiltProducts.path(of: "SystemdProbe")
        var environment = environment
        environment["PROBE_SECRET"] = secret
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return try await PrivateJournal.run([probe, "log"], environment: environment, output: output)
    }

    @Test("Native entries carry PRIORITY, CODE_*, MESSAGE_ID and TRIBUTARY_ fields; secrets are masked")
    func nativeEntries() async throws {
        let result = try await runProbe(["TRIBUTARY_LOG": "journal"], output: .files)
        #expect(result.status == 0, "\(result.standardError)\n\(result.journaldLog)")
        #expect(result.standardOutput == "output=journal\n")
        // Everything went to the journal, nothing fell back to stderr.
        #expect(result.standardError.isEmpty)
        let entries = result.entries(identifier: "tributary-probe")
        try #require(entries.count == 3, "\(entries)")
        for entry in entries {
            #expect(entry["_TRANSPORT"] == "journal")
            #expect(entry["CODE_FILE"] == "SystemdProbe/main.swift")
            #expect(Int(entry["CODE_LINE"] ?? "") != nil)
            #expect(entry["CODE_FUNC"] == "logEvents()")
            #expect(entry["TRIBUTARY_LOGGER"] == "tributary.probe")
        }

        let ready = entries[0]
        #expect(ready["MESSAGE"] == "datastore eng is ready")
        #expect(ready["PRIORITY"] == "5")
        #expect(ready["MESSAGE_ID"] == TributaryEvent.datastoreReady.messageID)
        #expect(ready["TRIBUTARY_DATASTORE"] == "eng")
        #expect(ready["TRIBUTARY_PAGES"] == "42")
        #expect(ready["TRIBUTARY_MESSAGE_ID"] == nil)

        let warning = entries[1]
        #expect(warning["PRIORITY"] == "4")
        #expect(warning["MESSAGE_ID"] == nil)
        #expect(warning["MESSAGE"] == "fetching https://bot:<redacted>@example.atlassian.net/wiki failed; token=<redacted>")
        #expect(warning["TRIBUTARY_PAGE_ID"] == "12345")
        #expect(warning["TRIBUTARY_JOB_ID"] == "j-7")
        #expect(warning["TRIBUTARY_API_TOKEN"] == "<redacted>")
        #expect(warning["TRIBUTARY_AUTHORIZATION"] == "<redacted>")
        #expect(warning["TRIBUTARY_CREDENTIAL"] == "<redacted>")
        #expect(warning["TRIBUTARY_SITE"] == "https://example.atlassian.net")

        // A multi-line message stays one entry; a 300 kB value with a newline arrives whole
        // (sd_journal_sendv's binary form and memfd fallback).
        let error = entries[2]
        #expect(error["PRIORITY"] == "3")
        #expect(error["MESSAGE"] == "first line\nsecond line")
        #expect(error["TRIBUTARY_BLOB"] == String(repeating: "0123456789", count: 30_000) + "\nend")

        #expect(!entries.contains { $0["MESSAGE"] == "below the level: never written" })
        let everything = result.entries.flatMap { $0.fields.values.joined() }
        #expect(!everything.contains { $0.contains(secret) }, "the secret reached the journal")
    }

    @Test("When journald cannot be reached, journal mode falls back to stderr lines")
    func fallbackWithoutJournald() async throws {
        let probe = try BuiltProducts.path(of: "SystemdProbe")
        // A mount namespace where /run/systemd is empty: no journal socket at all.
        let result = try await Command.run(
            "/usr/bin/unshare",
            ["--mount", "--propagation", "private", "/bin/sh", "-c",
             "mkdir -p /run/systemd && mount -t tmpfs none /run/systemd && exec \"$0\" log", probe],
            environment: ["TRIBUTARY_LOG": "journal", "PROBE_SECRET": secret, "PATH": "/usr/bin:/bin"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "output=journal\n")
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first == "notice: datastore eng is ready datastore=eng message_id=\(TributaryEvent.datastoreReady.messageID) pages=42")
        #expect(!result.standardError.contains(secret))
    }

    @Test("Under a journal stream, auto detects $JOURNAL_STREAM and upgrades to native entries")
    func autoUpgradesOnJournalStream() async throws {
        let result = try await runProbe([:], output: .journalStream(identifier: "probe-stream"))
        #expect(result.status == 0, "\(result.journaldLog)")
        let native = result.entries(identifier: "tributary-probe")
        #expect(native.count == 3)
        #expect(native.allSatisfy { $0["_TRANSPORT"] == "journal" })
        // The probe's own stdout line still goes through the stream.
        #expect(result.entries(identifier: "probe-stream").map { $0["MESSAGE"] } == ["output=journal"])
    }

    @Test("TRIBUTARY_LOG=stderr under a journal stream writes <N>-prefixed lines journald turns into priorities")
    func stderrLinesOnJournalStream() async throws {
        let result = try await runProbe(["TRIBUTARY_LOG": "stderr"], output: .journalStream(identifier: "probe-stream"))
        #expect(result.status == 0, "\(result.journaldLog)")
        let lines = result.entries(identifier: "probe-stream")
        #expect(lines.allSatisfy { $0["_TRANSPORT"] == "stdout" })
        let byPriority = Dictionary(grouping: lines.compactMap { entry in entry["PRIORITY"].map { ($0, entry["MESSAGE"] ?? "") } }) { $0.0 }
        #expect(byPriority["5"]?.map(\.1) == ["notice: datastore eng is ready datastore=eng message_id=\(TributaryEvent.datastoreReady.messageID) pages=42"])
        #expect(byPriority["4"]?.first?.1.hasPrefix("warning: fetching https://bot:<redacted>@") == true)
        #expect(byPriority["3"]?.first?.1.hasPrefix(#"error: first line\nsecond line blob="#) == true)
        #expect(lines.last?["MESSAGE"] == "output=stderr(syslogPrefixes: true)")
        #expect(!lines.contains { $0["MESSAGE"]?.contains(secret) ?? false })
    }
}

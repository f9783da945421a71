import FakeConfluenceSupport
import Foundation
import Search
import Storage
import Testing
@testable import Engine

/// Crash safety with attachments (issue #16): the real daemon, extracting through the sandboxed
/// helper, killed with SIGKILL several times while it downloads and extracts a space's files,
/// ends with the index, attachment records and ledger of an uninterrupted run.
@Suite("Attachments: crash safety", .serialized)
struct AttachmentCrashTests {
    /// 300 pages, about a third carrying one real PDF, DOCX or TXT file; every response 40 ms
    /// late so the sweep lasts long enough for kills to land in it.
    static let fakeArguments = ["--generate", "300", "--seed", "11", "--attachment-share", "0.3", "--latency-ms", "40",
                                "--email", DaemonHarness.email, "--token", DaemonHarness.token]

    @Test("Killed with SIGKILL 4 times while attachments are downloaded and extracted, the result equals an uninterrupted run's; each version charged once")
    func killedDuringAttachments() async throws {
        try await FakeConfluence.with(Self.fakeArguments, maxSeconds: 900) { fake in
            let reference = try DaemonHarness(fake: fake)
            defer { reference.remove() }
            try await reference.startDaemon()
            try await reference.create()
            try await reference.waitReady()
            await reference.stopDaemon()
            let expected = try StateFingerprint(stateDirectory: reference.stateDirectory, datastore: "gen")
            let expectedFiles = try AttachmentFingerprint(stateDirectory: reference.stateDirectory)
            let total = expectedFiles.indexed
            #expect(total >= 60, "the generated space should carry many files: \(expectedFiles.entries.count)")
            #expect(expectedFiles.hits > 0, "the queries should find attached files")

            let crashed = try DaemonHarness(fake: fake)
            defer { crashed.remove() }
            try await crashed.startDaemon()
            try await crashed.create()
            // Each kill waits for a larger share of the files to be indexed, so the kills land
            // at different points of the sweep (and one past a restart's resume).
            var atKill: [String] = []
            for share in [1, 2, 3, 4] {
                let target = total * share / 5
                var seen = (state: "?", indexed: 0)
                for _ in 0..<3_000 {
                    seen = try await Self.progress(crashed)
                    if seen.indexed >= target || seen.state == "ready" { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                atKill.append("\(seen.state):\(seen.indexed)")
                await crashed.killDaemon()
                try await crashed.startDaemon()
            }
            try await crashed.waitReady()
            await crashed.stopDaemon()
            let midSweep = atKill.filter { $0.hasPrefix("processing:") && !$0.hasSuffix(":\(total)") }
            #expect(midSweep.count >= 3, "at least three kills should land while files are processed: \(atKill)")
            #expect(Set(atKill).count == atKill.count, "each kill at another point: \(atKill)")

            let actual = try StateFingerprint(stateDirectory: crashed.stateDirectory, datastore: "gen")
            let actualFiles = try AttachmentFingerprint(stateDirectory: crashed.stateDirectory)
            #expect(actualFiles.entries == expectedFiles.entries)
            #expect(actualFiles.hits == expectedFiles.hits)
            #expect(actual.manifest == expected.manifest)
            #expect(actual.statistics == expected.statistics)
            #expect(actual.searches == expected.searches)
            #expect(actual.charges == expected.charges)
            #expect(actual.balance == expected.balance)
            #expect(actual.duplicateCharges == 0)
            #expect(actual.auditProblems.isEmpty, "\(actual.auditProblems.prefix(5))")
            // One charge for each indexed file's version, none for the others.
            let fileCharges = actual.charges.filter { $0.hasPrefix(AttachmentEntry.documentPrefix) }
            #expect(fileCharges.count == total, "\(fileCharges.count) attachment charges for \(total) indexed files")
        }
    }

    /// The datastore's state and how many attachments it has indexed.
    static func progress(_ harness: DaemonHarness) async throws -> (state: String, indexed: Int) {
        let status = try await harness.ctl(["status", "gen", "--json"]).json()
        let files = status["attachments"] as? [String: Any]
        return (status["state"] as? String ?? "?", files?["indexed"] as? Int ?? 0)
    }
}

/// The attachment records a sync leaves, and how many attached files the fingerprint queries find.
struct AttachmentFingerprint {
    var entries: [String] = []
    var indexed = 0
    var hits = 0

    init(stateDirectory: String) throws {
        let store = try Store(configuration: StoreConfiguration(directory: stateDirectory))
        let tables = try EngineTables(store: store)
        let attachments = try AttachmentRepository(store: store)
        let index = try SearchIndex(store: store)
        let tokenizer = try Tokenizer()
        try store.read { txn in
            let id = try #require(try txn.get(tables.names, "gen"))
            try txn.forEach(in: attachments.entries, .prefix(datastoreKeyPrefix(id))) { _, coded in
                let entry = coded.value
                entries.append("\(entry.pageId)/\(entry.id)|\(entry.title)|\(entry.disposition.rawValue)|\(entry.version)|"
                               + "\(entry.versionIndexed ?? -1)|\(entry.chunks)|\(entry.tokens)|\(entry.reason ?? "")")
                if entry.disposition == .indexed { indexed += 1 }
                return .continue
            }
            for query in StateFingerprint.handbookQueries {
                var options = SearchOptions()
                options.limit = 50
                hits += try index.search(query, datastore: id, options: options, in: txn, tokenizer: tokenizer)
                    .filter { AttachmentEntry.attachmentId(ofDocument: $0.pageID) != nil }.count
            }
        }
    }
}

import Foundation
import Storage
import Testing
@testable import Engine

/// The engine's JSON-coded records as the store writes them (``JSONCoded``, by the streaming
/// encoder) read back equal, every field set or absent, and records written by Foundation's
/// `JSONEncoder` (sorted keys, as stores made before it hold) still read the same.
@Suite("Stored records: JSON written by the streaming encoder and by JSONEncoder")
struct StoredRecordCodingTests {
    static func roundTrip<T: Codable & Sendable & Equatable>(_ value: T) throws {
        let read = try JSONCoded(value).withStorageBytes { try JSONCoded<T>(storageBytes: $0) }
        #expect(read.value == value)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let legacy = try encoder.encode(value)
        let old = try legacy.withUnsafeBytes { try JSONCoded<T>(storageBytes: $0) }
        #expect(old.value == value)
    }

    @Test("Manifest entries as stores before the binary layout hold them: bare, every optional field, non-ASCII, escapes")
    func manifestEntries() throws {
        let bare = ManifestEntry(pageId: "1", title: "", spaceKey: "ENG", parentId: nil, status: "current", versionSeen: 1,
                                 seenInCycle: 0, webui: nil)
        try Self.roundTrip(bare)
        var full = ManifestEntry(pageId: "98304", title: "Ünïcode \"quoted\" \\ / tab\t line\n 東京 👩‍👩‍👧", spaceKey: "ENG",
                                 parentId: "7", status: "current", versionSeen: 12, seenInCycle: 9_007_199_254_740_993,
                                 webui: "/spaces/ENG/pages/98304/Page+title")
        full.versionIndexed = 11
        full.disposition = .skipped
        full.reason = "too_large: 5000001 bytes"
        full.chunks = 14
        full.tokens = 4_096
        full.labels = ["template", "ops\u{1}"]
        full.lastModified = -1
        full.unrenderedMacros = ["jira", "gliffy"]
        full.lastProcessed = Int64.max
        full.failures = 3
        full.contentType = "blogpost"
        full.commentsSeen = "abc"
        full.commentsIndexed = ""
        try Self.roundTrip(full)
    }

    @Test("Ledger entries of each kind")
    func ledgerEntries() throws {
        let charge = LedgerEntry(sequence: 1, timestamp: 1_733_000_000_000, kind: .charge, amount: -1_000, datastore: 2,
                                 pageId: "42", pageVersion: 3, tokens: 812, note: nil, balanceAfter: 99_000)
        try Self.roundTrip(charge)
        let topUp = LedgerEntry(sequence: 2, timestamp: 0, kind: .topUp, amount: Int64.max, datastore: nil, pageId: nil,
                                pageVersion: nil, tokens: nil, note: "by alice: «budget»", balanceAfter: nil)
        try Self.roundTrip(topUp)
    }
}

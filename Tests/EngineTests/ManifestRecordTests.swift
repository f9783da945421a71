import Foundation
import RandomTestSupport
import Storage
import Testing
@testable import Engine

/// The manifest's binary records (``ManifestRecord``): every combination of fields reads back
/// equal, records written as JSON by earlier versions still read, and damaged bytes are refused
/// rather than read as another entry.
@Suite("Manifest records: binary layout, JSON from earlier versions, damage refused")
struct ManifestRecordTests {
    static func encoded(_ entry: ManifestEntry) -> [UInt8] {
        ManifestRecord(entry).withStorageBytes { Array($0) }
    }

    static func decoded(_ bytes: [UInt8]) throws(StorageError) -> ManifestEntry {
        let result: Result<ManifestRecord, StorageError> = bytes.withUnsafeBytes { raw in
            Result { () throws(StorageError) in try ManifestRecord(storageBytes: raw) }
        }
        return try result.get().value
    }

    /// An entry with each field drawn at random, optional ones present about half the time.
    static func randomEntry(_ random: inout SeededGenerator) -> ManifestEntry {
        let alphabet = ["a", "Z", "7", " ", "é", "東", "👩‍👩‍👧", "\"", "\\", "\n", "\u{0}", "/"]
        func text() -> String { (0..<random.below(12)).map { _ in alphabet[random.below(alphabet.count)] }.joined() }
        func maybe<T>(_ make: () -> T) -> T? { random.below(2) == 0 ? nil : make() }
        func int() -> Int { Int(bitPattern: UInt(random.next())) >> random.below(64) }
        var entry = ManifestEntry(pageId: String(random.next() % 1_000_000_000), title: text(), spaceKey: text(),
                                  parentId: maybe { text() }, status: ["current", "archived", "draft"][random.below(3)],
                                  versionSeen: int(), seenInCycle: random.next(), webui: maybe { text() })
        entry.versionIndexed = maybe { int() }
        entry.disposition = PageDisposition.allCases[random.below(PageDisposition.allCases.count)]
        entry.reason = maybe { text() }
        entry.chunks = int()
        entry.tokens = int()
        entry.labels = maybe { (0..<random.below(4)).map { _ in text() } }
        entry.lastModified = maybe { Int64(bitPattern: random.next()) }
        entry.unrenderedMacros = (0..<random.below(3)).map { _ in text() }
        entry.lastProcessed = maybe { Int64(bitPattern: random.next()) }
        entry.failures = int()
        entry.contentType = maybe { "blogpost" }
        entry.commentsSeen = maybe { text() }
        entry.commentsIndexed = maybe { text() }
        return entry
    }

    @Test("2,000 generated entries read back equal, in the binary layout")
    func roundTrips() throws {
        var random = SeededGenerator(seed: 41)
        for _ in 0..<2_000 {
            let entry = Self.randomEntry(&random)
            let bytes = Self.encoded(entry)
            #expect(bytes.first == ManifestRecord.binaryFormat)
            #expect(try Self.decoded(bytes) == entry)
        }
    }

    @Test("Entries stored as JSON (by the streaming encoder, or by JSONEncoder) still read")
    func legacyJSON() throws {
        var random = SeededGenerator(seed: 42)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for _ in 0..<300 {
            var entry = Self.randomEntry(&random)
            // JSON holds integers exactly only to 2^53 in some readers; earlier stores never held more.
            entry.versionSeen %= 1 << 40
            let streamed = JSONCoded(entry).withStorageBytes { Array($0) }
            #expect(try Self.decoded(streamed) == entry)
            #expect(try Self.decoded(Array(try encoder.encode(entry))) == entry)
        }
    }

    @Test("Every truncation, a byte too many, an unknown field bit or disposition: refused")
    func damageRefused() throws {
        var random = SeededGenerator(seed: 43)
        for _ in 0..<200 {
            let bytes = Self.encoded(Self.randomEntry(&random))
            for length in 0..<bytes.count {
                #expect(throws: StorageError.self) { try Self.decoded(Array(bytes[..<length])) }
            }
            #expect(throws: StorageError.self) { try Self.decoded(bytes + [0]) }
        }
        let entry = ManifestEntry(pageId: "1", title: "t", spaceKey: "S", parentId: nil, status: "current", versionSeen: 1,
                                  seenInCycle: 1, webui: nil)
        var unknownField = Self.encoded(entry)
        unknownField[1] |= 0x80  // bit 15 of the mask: no such field
        #expect(throws: StorageError.self) { try Self.decoded(unknownField) }
        var unknownDisposition = Self.encoded(entry)
        // The disposition byte follows format, mask, four strings and five integers.
        let dispositionOffset = 1 + 2 + (4 + 1) + (4 + 1) + (4 + 1) + (4 + 7) + 5 * 8
        #expect(unknownDisposition[dispositionOffset] == 0)
        unknownDisposition[dispositionOffset] = 9
        #expect(throws: StorageError.self) { try Self.decoded(unknownDisposition) }
        #expect(throws: StorageError.self) { try Self.decoded(Array("not json".utf8)) }
    }
}

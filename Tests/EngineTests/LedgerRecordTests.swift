import Foundation
import RandomTestSupport
import Storage
import Testing
@testable import Engine

/// The ledger's binary records (``LedgerRecord``): every kind and combination of optional fields
/// reads back equal, entries earlier versions wrote as JSON still read, damage is refused.
@Suite("Ledger records: binary layout, JSON from earlier versions, damage refused")
struct LedgerRecordTests {
    static func decoded(_ bytes: [UInt8]) throws(StorageError) -> LedgerEntry {
        let result: Result<LedgerRecord, StorageError> = bytes.withUnsafeBytes { raw in
            Result { () throws(StorageError) in try LedgerRecord(storageBytes: raw) }
        }
        return try result.get().value
    }

    static let kinds: [LedgerEntry.Kind] = [.topUp, .autoTopOff, .charge, .openingBalance, .modelUsage, .embedding]

    static func randomEntry(_ random: inout SeededGenerator) -> LedgerEntry {
        func maybe<T>(_ make: () -> T) -> T? { random.below(2) == 0 ? nil : make() }
        let notes = ["", "by alice: «budget»", "gpt-4o (reported)", "\"quoted\" \\ 東京 👩‍👩‍👧", "\u{0}"]
        return LedgerEntry(
            sequence: random.next(), timestamp: Int64(bitPattern: random.next()), kind: kinds[random.below(kinds.count)],
            amount: Int64(bitPattern: random.next()), datastore: maybe { random.next() }, pageId: maybe { String(random.next()) },
            pageVersion: maybe { Int(bitPattern: UInt(random.next())) }, tokens: maybe { random.below(100_000) },
            note: maybe { notes[random.below(notes.count)] }, balanceAfter: maybe { Int64(bitPattern: random.next()) })
    }

    @Test("2,000 generated entries read back equal; 300 stored as JSON by earlier versions still read")
    func roundTrips() throws {
        var random = SeededGenerator(seed: 51)
        for _ in 0..<2_000 {
            let entry = Self.randomEntry(&random)
            let bytes = LedgerRecord(entry).withStorageBytes { Array($0) }
            #expect(bytes.first == LedgerRecord.binaryFormat)
            #expect(try Self.decoded(bytes) == entry)
        }
        for _ in 0..<300 {
            var entry = Self.randomEntry(&random)
            // What earlier versions stored: JSON numbers exact to 2^53.
            entry.sequence %= 1 << 40
            entry.datastore = entry.datastore.map { $0 % (1 << 40) }
            #expect(try Self.decoded(JSONCoded(entry).withStorageBytes { Array($0) }) == entry)
        }
    }

    @Test("Every truncation, a byte too many, an unknown field bit or kind: refused")
    func damageRefused() throws {
        var random = SeededGenerator(seed: 52)
        for _ in 0..<200 {
            let bytes = LedgerRecord(Self.randomEntry(&random)).withStorageBytes { Array($0) }
            for length in 0..<bytes.count {
                #expect(throws: StorageError.self) { try Self.decoded(Array(bytes[..<length])) }
            }
            #expect(throws: StorageError.self) { try Self.decoded(bytes + [0]) }
        }
        let entry = LedgerEntry(sequence: 1, timestamp: 2, kind: .charge, amount: -3, datastore: nil, pageId: nil,
                                pageVersion: nil, tokens: nil, note: nil, balanceAfter: nil)
        var unknownField = LedgerRecord(entry).withStorageBytes { Array($0) }
        unknownField[1] = 0x80
        #expect(throws: StorageError.self) { try Self.decoded(unknownField) }
        var unknownKind = LedgerRecord(entry).withStorageBytes { Array($0) }
        // The kind follows format, mask and three 8-byte integers.
        #expect(unknownKind[2 + 24] == 2)
        unknownKind[2 + 24] = 9
        #expect(throws: StorageError.self) { try Self.decoded(unknownKind) }
    }
}

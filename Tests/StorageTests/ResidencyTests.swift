import Foundation
import Testing
@testable import Storage

@Suite("Store: the map leaves the resident set on request, mid-transaction too", .serialized)
struct ResidencyTests {
    static let values = 6_000
    static func value(_ i: Int) -> [UInt8] { [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 2_000) }

    /// A store holding about 12 MB of values, written over several transactions.
    private static func filled() throws -> (TemporaryStore, Store, Table<UInt64, [UInt8]>) {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<UInt64, [UInt8]> = try store.openTable("values")
        for start in stride(from: 0, to: values, by: 1_000) {
            try store.write { txn in
                for i in start..<start + 1_000 { try txn.put(table, UInt64(i), value(i)) }
            }
        }
        store.releaseResidentMapPages()
        return (temporary, store, table)
    }

    /// Kilobytes of this store's `data.mdb` mapping in the resident set (from /proc/self/smaps).
    private static func residentKB(_ temporary: TemporaryStore) throws -> Int {
        let smaps = try #require(Store.readProcFile("/proc/self/smaps"))
        let dataFile = "/" + (temporary.directory as NSString).lastPathComponent + "/data.mdb"
        var inMapping = false
        var total = 0
        for line in smaps.split(separator: "\n") {
            if line.first?.isHexDigit == true, line.contains("-") {
                inMapping = line.hasSuffix(dataFile)
            } else if inMapping, line.hasPrefix("Rss:") {
                total += Int(line.split(separator: " ")[1]) ?? 0
            }
        }
        return total
    }

    @Test("A scan that releases the map part-way still reads every value, and keeps only what it read since")
    func scanReleasing() throws {
        let (temporary, store, table) = try Self.filled()
        try store.read { txn in
            var seen = 0
            try txn.forEach(in: table) { key, value in
                #expect(value == Self.value(Int(key)))
                seen += 1
                return .continue
            }
            #expect(seen == Self.values)
            let afterScan = try Self.residentKB(temporary)
            #expect(afterScan > 8_000, "a full scan maps the values: \(afterScan) KB")
            txn.releaseResidentMapPages()
            let released = try Self.residentKB(temporary)
            #expect(released < afterScan / 10, "\(released) KB still resident of \(afterScan)")
            // The snapshot reads the same bytes again (they fault back from the page cache).
            for i in stride(from: 0, to: Self.values, by: 97) {
                #expect(try txn.get(table, UInt64(i)) == Self.value(i))
            }
        }
    }

    @Test("Released in the middle of a write transaction, its own writes stay and commit; the rest reads unchanged")
    func writeReleasing() throws {
        let (temporary, store, table) = try Self.filled()
        try write(store, table, temporary)
        store.releaseResidentMapPages()
        try store.read { (txn: ReadTransaction) throws in
            #expect(try txn.get(table, 3) == [7, 3])
            #expect(try txn.get(table, 600) == nil)
            #expect(try txn.get(table, 601) == [1])
            #expect(try txn.get(table, 5_999) == Self.value(5_999))
        }
    }

    private func write(_ store: Store, _ table: Table<UInt64, [UInt8]>, _ temporary: TemporaryStore) throws {
        try store.write { txn in
            for i in 0..<500 { try txn.put(table, UInt64(i), [7, UInt8(truncatingIfNeeded: i)]) }
            try txn.delete(table, 600)
            txn.releaseResidentMapPages()
            #expect(try Self.residentKB(temporary) < 2_000)
            for i in 0..<500 { #expect(try txn.get(table, UInt64(i)) == [7, UInt8(truncatingIfNeeded: i)]) }
            #expect(try txn.get(table, 600) == nil)
            #expect(try txn.get(table, 700) == Self.value(700))
            try txn.put(table, 601, [1])
        }
    }
}

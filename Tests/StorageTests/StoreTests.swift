import Foundation
import Testing
@testable import Storage

@Suite("Store: tables, transactions and scans")
struct StoreTests {
    @Test("Committed writes are visible after reopening; a throwing body commits nothing")
    func commitAndAbort() throws {
        let temporary = try TemporaryStore()
        do {
            let store = try temporary.opened
            let table: Table<String, UInt64> = try store.openTable("numbers")
            try store.write { txn in
                try txn.put(table, "one", 1)
                try txn.put(table, "two", 2)
            }
            struct Boom: Error {}
            #expect(throws: Boom.self) {
                try store.write { txn in
                    try txn.put(table, "three", 3)
                    try txn.delete(table, "one")
                    throw Boom()
                }
            }
        }
        temporary.close()
        let store = try temporary.opened
        let table: Table<String, UInt64> = try store.openTable("numbers")
        let (one, two, three) = try store.read { txn in
            (try txn.get(table, "one"), try txn.get(table, "two"), try txn.get(table, "three"))
        }
        #expect(one == 1)
        #expect(two == 2)
        #expect(three == nil)
    }

    @Test("insertOnly refuses existing keys, upsert replaces, delete reports presence")
    func putModes() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<UInt64, String> = try store.openTable("names")
        try store.write { txn in
            #expect(try txn.put(table, 7, "seven", mode: .insertOnly))
            #expect(try txn.put(table, 7, "SEVEN", mode: .insertOnly) == false)
            #expect(try txn.get(table, 7) == "seven")
            try txn.put(table, 7, "Seven")
            #expect(try txn.get(table, 7) == "Seven")
            #expect(try txn.delete(table, 7))
            #expect(try txn.delete(table, 7) == false)
            #expect(try txn.count(table) == 0)
        }
    }

    @Test("Range, prefix and reverse scans match a sorted model")
    func scans() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<UInt64, UInt64> = try store.openTable("scan")
        let keys = Array(Set((0..<500).map { _ in UInt64.random(in: 0..<10_000) })).sorted()
        try store.write { txn in
            for key in keys.shuffled() {
                try txn.put(table, key, key * 3)
            }
        }
        func collect(_ bounds: KeyBounds<UInt64>, reverse: Bool = false) throws -> [UInt64] {
            try store.read { txn in
                var seen: [UInt64] = []
                try txn.forEach(in: table, bounds, reverse: reverse) { key, value in
                    #expect(value == key * 3)
                    seen.append(key)
                    return .continue
                }
                return seen
            }
        }
        #expect(try collect(.all) == keys)
        #expect(try collect(.all, reverse: true) == keys.reversed())
        #expect(try collect(.from(5_000)) == keys.filter { $0 >= 5_000 })
        #expect(try collect(.between(2_000, 3_000)) == keys.filter { $0 >= 2_000 && $0 < 3_000 })
        #expect(try collect(.between(2_000, 3_000), reverse: true) == keys.filter { $0 >= 2_000 && $0 < 3_000 }.reversed())
        #expect(try collect(.from(9_999_999)) == [])
        #expect(try collect(.between(20_000, 30_000), reverse: true) == [])
        // Keys below 256 share the first seven zero bytes.
        #expect(try collect(.prefix([0, 0, 0, 0, 0, 0, 0])) == keys.filter { $0 < 256 })
        // Stopping early.
        let firstThree = try store.read { txn in
            var seen: [UInt64] = []
            try txn.forEach(in: table) { key, _ in
                seen.append(key)
                return seen.count == 3 ? .stop : .continue
            }
            return seen
        }
        #expect(firstThree == Array(keys.prefix(3)))
    }

    @Test("Prefix scans on composite string keys, and deleteAll of a prefix")
    func prefixDelete() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<[UInt8], String> = try store.openTable("pages")
        func key(_ datastore: UInt64, _ page: String) -> [UInt8] {
            var writer = ByteWriter()
            writer.append(datastore)
            writer.appendTerminated(page)
            return writer.bytes
        }
        try store.write { txn in
            for datastore: UInt64 in 1...3 {
                for page in ["10", "2", "300", "41"] {
                    try txn.put(table, key(datastore, page), "\(datastore)/\(page)")
                }
            }
        }
        var writer = ByteWriter()
        writer.append(UInt64(2))
        let prefix = writer.bytes
        let inTwo = try store.read { txn in
            var values: [String] = []
            try txn.forEach(in: table, .prefix(prefix)) { _, value in
                values.append(value)
                return .continue
            }
            return values
        }
        #expect(inTwo == ["2/10", "2/2", "2/300", "2/41"])
        let removed = try store.write { txn in try txn.deleteAll(in: table, .prefix(prefix)) }
        #expect(removed == 4)
        let remaining = try store.read { txn in try txn.count(table) }
        #expect(remaining == 8)
    }

    @Test("Duplicate-sorted fixed tables keep values ordered and read in batches")
    func duplicates() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let postings: Table<String, UInt64> = try store.openTable("postings", options: [.duplicateSort, .duplicateFixed])
        let ids = (0..<5_000).map { _ in UInt64.random(in: 1..<1_000_000) }
        let unique = Array(Set(ids)).sorted()
        try store.write { txn in
            for id in ids {
                try txn.put(postings, "term", id)
            }
            try txn.put(postings, "other", 42)
            // Inserting an existing pair with insertOnly reports it.
            #expect(try txn.put(postings, "other", 42, mode: .insertOnly) == false)
        }
        let (ordered, batched, count) = try store.read { txn in
            var ordered: [UInt64] = []
            try txn.forEachValue(in: postings, forKey: "term") { id in
                ordered.append(id)
                return .continue
            }
            var batched: [UInt64] = []
            try txn.forEachValueBatch(in: postings, forKey: "term") { run, size in
                #expect(size == 8)
                for offset in stride(from: 0, to: run.count, by: size) {
                    batched.append(UInt64(bigEndian: run.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                }
                return .continue
            }
            return (ordered, batched, try txn.valueCount(in: postings, forKey: "term"))
        }
        #expect(ordered == unique)
        #expect(batched == unique)
        #expect(count == unique.count)
        // Remove every other value one by one, then the whole key.
        try store.write { txn throws in
            for id in unique.enumerated().filter({ $0.offset % 2 == 0 }).map(\.element) {
                #expect(try txn.delete(postings, "term", value: id))
            }
        }
        let left = try store.read { txn in try txn.valueCount(in: postings, forKey: "term") }
        #expect(left == unique.count / 2)
        try store.write { txn throws in
            #expect(try txn.delete(postings, "term"))
        }
        let (gone, other) = try store.read { txn in
            (try txn.valueCount(in: postings, forKey: "term"), try txn.get(postings, "other"))
        }
        #expect(gone == 0)
        #expect(other == 42)
    }

    @Test("Misuse is refused with typed errors: nesting, escaped transactions, double open")
    func misuse() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<String, String> = try store.openTable("t")
        #expect(throws: StorageError.nestedTransaction(path: temporary.directory)) {
            try store.read { _ in try store.write { txn in try txn.put(table, "a", "b") } }
        }
        var escaped: ReadTransaction?
        try store.read { txn in escaped = txn }
        #expect(throws: StorageError.transactionClosed(path: temporary.directory)) {
            _ = try escaped?.get(table, "a")
        }
        #expect(throws: StorageError.alreadyOpen(path: temporary.directory)) {
            _ = try Store(configuration: StoreConfiguration(directory: temporary.directory))
        }
    }

    @Test("A damaged data file is reported as such, naming the path, and nothing crashes")
    func corruptFile() throws {
        let directory = NSTemporaryDirectory() + "tributary-corrupt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let garbage = Data((0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        try garbage.write(to: URL(fileURLWithPath: directory + "/data.mdb"))
        do {
            _ = try Store(configuration: StoreConfiguration(directory: directory))
            Issue.record("opening garbage succeeded")
        } catch {
            #expect(error.description.contains(directory))
            switch error {
            case .incompatible, .corrupted: break
            default: Issue.record("unexpected error \(error)")
            }
        }
        // A path that is a regular file, not a directory.
        let file = directory + "/not-a-directory"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        #expect {
            _ = try Store(configuration: StoreConfiguration(directory: file))
        } throws: { error in
            String(describing: error).contains(file)
        }
    }

    @Test("Info reports sizes; backup produces a store with the same records")
    func infoAndBackup() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<UInt64, String> = try store.openTable("t")
        try store.write { txn in
            for i: UInt64 in 0..<1_000 {
                try txn.put(table, i, "value \(i)")
            }
        }
        let info = store.info()
        #expect(info.mapSize == 1 << 26)
        #expect(info.usedBytes > 0 && info.usedBytes < info.mapSize)
        #expect(info.pageSize >= 4096)
        let copy = NSTemporaryDirectory() + "tributary-backup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try store.backup(to: copy)
        let restored = try Store(configuration: StoreConfiguration(directory: copy))
        let restoredTable: Table<UInt64, String> = try restored.openTable("t")
        let (count, sample) = try restored.read { txn in (try txn.count(restoredTable), try txn.get(restoredTable, 999)) }
        #expect(count == 1_000)
        #expect(sample == "value 999")
    }
}

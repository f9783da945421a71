import Foundation
import Testing
@testable import Storage
import RandomTestSupport

@Suite("Store: bulk duplicate writes (MDB_MULTIPLE)")
struct BulkDuplicateTests {
    typealias Postings = Table<String, UInt64>

    static func openPostings(_ store: Store) throws -> Postings {
        try store.openTable("postings", options: [.duplicateSort, .duplicateFixed])
    }

    @Test("Random bulk writes, single puts and deletes over many keys match a model, aborted batches included")
    func randomizedAgainstModel() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let postings = try Self.openPostings(store)
        var random = SeededGenerator(seed: 0x6275_6c6b)
        var model: [String: Set<UInt64>] = [:]
        let keys = (0..<60).map { "term-\($0)" }
        struct Abort: Error {}

        for round in 0..<30 {
            var next = model
            let aborts = round % 9 == 4
            do {
                try store.write { txn in
                    next = model  // the body reruns if the map grows
                    for _ in 0..<24 {
                        let key = keys[Int(random.next() % UInt64(keys.count))]
                        var values = next[key, default: []]
                        switch random.next() % 9 {
                        case 0:
                            let value = random.next() % 100_000
                            try txn.put(postings, key, value)
                            values.insert(value)
                        case 1:
                            if let value = values.randomElement(using: &random) {
                                #expect(try txn.delete(postings, key, value: value))
                                values.remove(value)
                            }
                        case 2:
                            #expect(try txn.delete(postings, key) == !values.isEmpty)
                            values = []
                        default:
                            var batch = Self.randomBatch(existing: values, random: &random)
                            if random.next() % 3 == 0 { batch.shuffle(using: &random) }
                            let added = try txn.putDuplicates(postings, key, batch)
                            let merged = values.union(batch)
                            #expect(added == merged.count - values.count, "round \(round) key \(key)")
                            values = merged
                        }
                        next[key] = values.isEmpty ? nil : values
                    }
                    // Reads inside the transaction see the bulk writes.
                    try Self.verify(txn, postings, against: next)
                    if aborts { throw Abort() }
                }
            } catch is Abort {
                continue
            }
            model = next
            try store.read { txn in try Self.verify(txn, postings, against: model) }
        }
        // Prefix deletes drop bulk-written keys whole.
        let removed = try store.write { txn in try txn.deleteAll(in: postings, .prefix(Array("term-1".utf8))) }
        let prefixed = model.keys.filter { $0.hasPrefix("term-1") }
        #expect(removed == prefixed.count)
        for key in prefixed { model[key] = nil }
        try store.read { txn in try Self.verify(txn, postings, against: model) }
        // A compacting copy walks every page and sub-database: it must find the same records.
        let copy = NSTemporaryDirectory() + "tributary-bulk-copy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try store.backup(to: copy)
        let restored = try Store(configuration: StoreConfiguration(directory: copy))
        let restoredPostings = try Self.openPostings(restored)
        try restored.read { txn in try Self.verify(txn, restoredPostings, against: model) }
    }

    @Test("Many keys through one cursor, in key order or not, write what one bulk put per key writes")
    func runsThroughOneCursor() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let postings = try Self.openPostings(store)
        var random = SeededGenerator(seed: 0x7275_6e73)
        var model: [String: Set<UInt64>] = [:]
        let keys = (0..<40).map { String(format: "term-%02d", $0) }
        for round in 0..<12 {
            var batches = keys.filter { _ in random.next() % 3 != 0 }.map { key in
                (key, Self.randomBatch(existing: model[key, default: []], random: &random).sorted())
            }
            if round % 4 == 3 { batches.shuffle(using: &random) }
            let added = try store.write { txn in
                try txn.putDuplicates(postings) { put in
                    for (key, values) in batches {
                        var encoded = [UInt8]()
                        for value in values { value.withStorageBytes { encoded.append(contentsOf: $0) } }
                        try encoded.withUnsafeBytes { try put(key, $0) }
                    }
                }
            }
            var expectedAdded = 0
            for (key, values) in batches {
                let merged = model[key, default: []].union(values)
                expectedAdded += merged.count - model[key, default: []].count
                model[key] = merged.isEmpty ? nil : merged
            }
            #expect(added == expectedAdded, "round \(round)")
            try store.read { txn in try Self.verify(txn, postings, against: model) }
        }
        // A run that is not whole values fails with a typed error and the transaction with it.
        #expect(throws: StorageError.self) {
            try store.write { txn in
                try txn.putDuplicates(postings) { put in
                    try [UInt8](repeating: 1, count: 12).withUnsafeBytes { try put("term-00", $0) }
                }
            }
        }
        try store.read { txn in try Self.verify(txn, postings, against: model) }
    }

    @Test("An equal value is skipped wherever it appears, whether the key holds one, few or many values")
    func equalValuesAreSkipped() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let postings = try Self.openPostings(store)
        try store.write { txn in
            // LMDB returns early at a value equal to a key's only value; all must still be written.
            try txn.put(postings, "single", 5)
            #expect(try txn.putDuplicates(postings, "single", [5]) == 0)
            #expect(try txn.putDuplicates(postings, "single", [5, 5, 5]) == 0)
            #expect(try txn.valueCount(in: postings, forKey: "single") == 1)
            #expect(try txn.putDuplicates(postings, "single", [3, 5, 7]) == 2)
            #expect(try txn.putDuplicates(postings, "fresh", [9, 9, 9, 10, 10, 11]) == 3)
            #expect(try txn.putDuplicates(postings, "one", [4]) == 1)
            #expect(try txn.putDuplicates(postings, "one", [4, 4, 6]) == 1)
            #expect(try txn.putDuplicates(postings, "many", Array(0..<1_000).map { $0 / 2 }) == 500)
            #expect(try txn.putDuplicates(postings, "many", Array(250..<750)) == 250)
            #expect(try txn.putDuplicates(postings, "empty", [UInt64]()) == 0)
        }
        let expected: [String: Set<UInt64>] = [
            "single": [3, 5, 7], "fresh": [9, 10, 11], "one": [4, 6], "many": Set(0..<750),
        ]
        try store.read { txn in try Self.verify(txn, postings, against: expected) }
        // The single put's insert-only mode sees bulk-written values.
        try store.write { txn throws in
            #expect(try txn.put(postings, "many", 700, mode: .insertOnly) == false)
            #expect(try txn.put(postings, "many", 7_000, mode: .insertOnly))
        }
    }

    @Test("Values that do not sort after the stored ones fall back from appending to inserting, in every layout")
    func appendFallback() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let postings = try Self.openPostings(store)
        let wide = Array(stride(from: UInt64(0), to: 2_000, by: 2))
        try store.write { txn in
            try txn.put(postings, "single-lower", 10)
            try txn.put(postings, "single-equal", 10)
            #expect(try txn.putDuplicates(postings, "subpage", [10, 20]) == 2)
            #expect(try txn.putDuplicates(postings, "subdb", wide) == 1_000)
        }
        let added = try store.write { txn in
            [
                try txn.putDuplicates(postings, "single-lower", [5]),
                try txn.putDuplicates(postings, "single-equal", [10, 11]),
                try txn.putDuplicates(postings, "subpage", [5, 15, 25]),
                try txn.putDuplicates(postings, "subpage", [30, 31, 26]),
                try txn.putDuplicates(postings, "subdb", [2_001, 2_003]),
                try txn.putDuplicates(postings, "subdb", [2_005, 501, 2_007, 3, 0]),
                try txn.putDuplicates(postings, "descending", Array((0..<600).reversed())),
            ]
        }
        #expect(added == [1, 1, 3, 3, 2, 4, 600])
        try store.read { txn in
            try Self.verify(txn, postings, against: [
                "single-lower": [5, 10], "single-equal": [10, 11], "subpage": [5, 10, 15, 20, 25, 26, 30, 31],
                "subdb": Set(wide + [2_001, 2_003, 2_005, 501, 2_007, 3]), "descending": Set(0..<600),
            ])
        }
    }

    @Test("A key grows from one value to a multi-page sub-database in bulk, and shrinks again")
    func growthAcrossLayouts() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let postings = try Self.openPostings(store)
        try store.write { txn in try txn.put(postings, "neighbour", 1) }
        // Inline value, sub-page, sub-database of one page, then of hundreds of pages; each step
        // interleaves with what is there, so every layout takes values in the middle.
        var expected: Set<UInt64> = []
        for (step, shape) in [(1, 1_000_000), (8, 4_096), (200, 1_024), (3_000, 64), (200_000, 2)].enumerated() {
            let (count, spacing) = (shape.0, UInt64(shape.1))
            let values = (0..<UInt64(count)).map { $0 * spacing + UInt64(step) }
            let added = try store.write { txn in try txn.putDuplicates(postings, "grows", values) }
            #expect(added == Set(values).subtracting(expected).count)
            expected.formUnion(values)
        }
        let runs = try store.read { txn in
            try Self.verify(txn, postings, against: ["grows": expected, "neighbour": [1]])
            var runs = 0
            try txn.forEachValueBatch(in: postings, forKey: "grows") { _, _ in
                runs += 1
                return .continue
            }
            return runs
        }
        #expect(runs > 100, "200,000 values should span many leaf pages, got \(runs) runs")
        // Delete most values one by one, then add them back in bulk.
        let doomed = expected.sorted().enumerated().filter { $0.offset % 10 != 0 }.map(\.element)
        try store.write { txn throws in
            for value in doomed.prefix(50_000) {
                #expect(try txn.delete(postings, "grows", value: value))
            }
        }
        #expect(try store.read { txn in try txn.valueCount(in: postings, forKey: "grows") } == expected.count - 50_000)
        let restored = try store.write { txn in try txn.putDuplicates(postings, "grows", doomed) }
        #expect(restored == 50_000)
        try store.read { txn in try Self.verify(txn, postings, against: ["grows": expected, "neighbour": [1]]) }
    }

    @Test("Pre-encoded values, misuse and oversized keys fail with typed errors and change nothing")
    func encodedValuesAndErrors() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let postings = try Self.openPostings(store)
        let plain: Table<String, UInt64> = try store.openTable("plain")
        let sorted: Table<String, UInt64> = try store.openTable("sorted", options: [.duplicateSort])
        let values: [UInt64] = [1, 2, 3]
        let encoded = values.flatMap { value in withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        try store.write { txn in
            let added = try encoded.withUnsafeBytes { bytes throws(StorageError) in
                try txn.putDuplicates(postings, "raw", encodedValues: bytes)
            }
            #expect(added == 3)
            #expect(throws: StorageError.invalidSize(path: store.path, table: "postings",
                                                     detail: "23 bytes are not a whole number of 8-byte values")) {
                try encoded.withUnsafeBytes { try txn.putDuplicates(postings, "raw", encodedValues: UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
            }
            for table in [plain, sorted] {
                #expect(throws: StorageError.incompatible(
                    path: store.path, detail: "table '\(table.name)' is not duplicate-sorted and fixed")) {
                    try txn.putDuplicates(table, "key", values)
                }
            }
            let longKey = String(repeating: "k", count: 600)
            #expect {
                try txn.putDuplicates(postings, longKey, values)
            } throws: { error in
                guard case .invalidSize(_, let table, _)? = error as? StorageError else { return false }
                return table == "postings"
            }
        }
        try store.read { txn in
            try Self.verify(txn, postings, against: ["raw": [1, 2, 3]])
            #expect(try txn.count(plain) == 0)
            #expect(try txn.count(sorted) == 0)
        }
    }

    @Test("Bulk writes that fill a small map rerun after growth and keep exactly one copy of everything")
    func mapGrowth() throws {
        let temporary = try TemporaryStore(initialMapSize: 128 * 1024, maximumMapSize: 512 << 20)
        var model: [String: Set<UInt64>] = [:]
        do {
            let store = try temporary.opened
            try fill(store, model: &model)
        }
        // The same store reopened from disk holds the same.
        temporary.close()
        let reopened = try temporary.opened
        let table = try Self.openPostings(reopened)
        try reopened.read { txn in try Self.verify(txn, table, against: model) }
    }

    private func fill(_ store: Store, model: inout [String: Set<UInt64>]) throws {
        let postings = try Self.openPostings(store)
        var attempts = 0
        var random = SeededGenerator(seed: 0x6d61_7066)
        for batch in 0..<12 {
            // 48,000 values (384 KiB) per transaction: three keys take random values, a third
            // of them already present; three take values above their last (appends).
            var planned: [(String, [UInt64])] = []
            for key in 0..<6 {
                let name = "k\(key)"
                if key < 3 {
                    let fresh = (0..<5_333).map { _ in random.next() % 5_000_000 }
                    let old = model[name].map { Array($0.prefix(2_667)) } ?? []
                    planned.append((name, (fresh + old).sorted()))
                } else {
                    let first = UInt64(batch * 8_000)
                    planned.append((name, Array(first..<first + 8_000)))
                }
            }
            let added = try store.write { txn in
                attempts += 1
                return try planned.reduce(0) { total, entry in total + (try txn.putDuplicates(postings, entry.0, entry.1)) }
            }
            var expectedAdded = 0
            for (name, values) in planned {
                let before = model[name, default: []].count
                model[name, default: []].formUnion(values)
                expectedAdded += model[name, default: []].count - before
            }
            #expect(added == expectedAdded, "batch \(batch)")
        }
        #expect(store.info().growthCount > 0)
        #expect(attempts > 12, "no write body was rerun: the map never filled mid-transaction")
        try store.read { txn in try Self.verify(txn, postings, against: model) }
    }

    // MARK: Helpers

    /// A mix of sizes around LMDB's layout thresholds (inline, sub-page, sub-database), with
    /// repeats inside the batch and values already stored.
    static func randomBatch(existing: Set<UInt64>, random: inout SeededGenerator) -> [UInt64] {
        let sizes = [1, 2, 3, 7, 40, 250, 260, 600, 2_000]
        let size = sizes[Int(random.next() % UInt64(sizes.count))]
        if random.next() % 3 == 0 {
            // Ascending above everything stored: the append path.
            var next = (existing.max() ?? 0) + 1
            return (0..<size).map { _ in
                defer { next += 1 + random.next() % 3 }
                return next
            }
        }
        var batch = (0..<size).map { _ in random.next() % 100_000 }
        batch += existing.shuffled(using: &random).prefix(size / 3 + 1)
        if let repeated = batch.first, random.next() % 2 == 0 { batch += [repeated, repeated] }
        return batch.sorted()
    }

    /// Checks every reader against `model`: a full scan, value-by-value and batched reads, counts.
    static func verify(_ txn: ReadTransaction, _ table: Postings, against model: [String: Set<UInt64>]) throws {
        var scanned: [String: [UInt64]] = [:]
        try txn.forEach(in: table) { key, value in
            scanned[key, default: []].append(value)
            return .continue
        }
        #expect(scanned == model.mapValues { $0.sorted() })
        #expect(try txn.count(table) == model.values.reduce(0) { $0 + $1.count })
        for (key, values) in model {
            var batched: [UInt64] = []
            try txn.forEachValueBatch(in: table, forKey: key) { run, size in
                #expect(size == 8)
                for offset in stride(from: 0, to: run.count, by: size) {
                    batched.append(UInt64(bigEndian: run.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                }
                return .continue
            }
            #expect(batched == values.sorted(), "batched read of \(key)")
            #expect(try txn.valueCount(in: table, forKey: key) == values.count)
        }
    }
}


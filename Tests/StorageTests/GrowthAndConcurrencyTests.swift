import Foundation
import Synchronization
import Testing
@testable import Storage

@Suite("Store: map growth and concurrent readers")
struct GrowthAndConcurrencyTests {
    @Test("Filling a small map grows it invisibly and keeps every record")
    func mapGrowth() throws {
        let temporary = try TemporaryStore(initialMapSize: 128 * 1024, maximumMapSize: 256 << 20)
        let store = try temporary.opened
        let table: Table<UInt64, [UInt8]> = try store.openTable("blobs")
        let grown = Mutex<[MapGrowthEvent]>([])
        let directory = temporary.directory
        MapGrowthObservers.add { event in
            if event.path == directory { grown.withLock { $0.append(event) } }
        }
        // 12 MiB in transactions of 64 records of 2 KiB: far beyond the 128 KiB map.
        for batch: UInt64 in 0..<96 {
            try store.write { txn in
                for i: UInt64 in 0..<64 {
                    let key = batch * 64 + i
                    try txn.put(table, key, [UInt8](repeating: UInt8(truncatingIfNeeded: key), count: 2_048))
                }
            }
        }
        let info = store.info()
        #expect(info.growthCount > 0)
        #expect(info.mapSize > 12 << 20)
        #expect(grown.withLock { $0.count } == info.growthCount)
        let verified = try store.read { txn in
            var count = 0
            try txn.forEach(in: table) { key, value in
                #expect(value.count == 2_048 && value.allSatisfy { $0 == UInt8(truncatingIfNeeded: key) })
                count += 1
                return .continue
            }
            return count
        }
        #expect(verified == 96 * 64)
    }

    @Test("At the maximum map size a write fails with mapFull and earlier commits stay intact")
    func mapLimit() throws {
        let temporary = try TemporaryStore(initialMapSize: 128 * 1024, maximumMapSize: 1 << 20)
        let store = try temporary.opened
        let table: Table<UInt64, [UInt8]> = try store.openTable("blobs")
        var committed: UInt64 = 0
        var failure: StorageError?
        while committed < 1_000 {
            do {
                try store.write { txn in try txn.put(table, committed, [UInt8](repeating: 1, count: 8_192)) }
                committed += 1
            } catch let error as StorageError {
                failure = error
                break
            }
        }
        #expect(failure == .mapFull(path: temporary.directory, limit: 1 << 20))
        #expect(failure?.description.contains(temporary.directory) == true)
        #expect(committed > 10)
        let count = try store.read { txn in try txn.count(table) }
        #expect(count == Int(committed))
        // Still usable for deletes and reads afterwards.
        try store.write { txn in try txn.delete(table, 0) }
        #expect(try store.read { txn in try txn.count(table) } == Int(committed) - 1)
    }

    @Test("Readers on other threads always see a consistent snapshot while a writer commits and the map grows")
    func concurrentReaders() throws {
        let temporary = try TemporaryStore(initialMapSize: 128 * 1024, maximumMapSize: 512 << 20)
        let store = try temporary.opened
        let pairs: Table<String, UInt64> = try store.openTable("pairs")
        let blobs: Table<UInt64, [UInt8]> = try store.openTable("blobs")
        try store.write { txn in
            try txn.put(pairs, "a", 0)
            try txn.put(pairs, "b", 0)
        }
        let done = Atomic<Bool>(false)
        let inconsistencies = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let readerErrors = Mutex<[String]>([])
        let group = DispatchGroup()
        for _ in 0..<3 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var last: UInt64 = 0
                while !done.load(ordering: .acquiring) {
                    do {
                        let (a, b, blobCount) = try store.read { txn in
                            (try txn.get(pairs, "a") ?? 0, try txn.get(pairs, "b") ?? 0, try txn.count(blobs))
                        }
                        // Both counters and the blob count move together in each commit; never backwards.
                        if a != b || Int(a) != blobCount || a < last {
                            inconsistencies.add(1, ordering: .relaxed)
                        }
                        last = a
                        reads.add(1, ordering: .relaxed)
                    } catch {
                        readerErrors.withLock { $0.append("\(error)") }
                        return
                    }
                }
            }
        }
        for n: UInt64 in 1...400 {
            try store.write { txn in
                try txn.put(pairs, "a", n)
                try txn.put(blobs, n, [UInt8](repeating: 7, count: 4_000))
                try txn.put(pairs, "b", n)
            }
        }
        done.store(true, ordering: .releasing)
        group.wait()
        #expect(readerErrors.withLock { $0 } == [])
        #expect(inconsistencies.load(ordering: .relaxed) == 0)
        #expect(reads.load(ordering: .relaxed) > 0)
        #expect(store.info().growthCount > 0)
    }

    /// LMDB 0.9.24 pins a reader at transaction N and then copies meta page N & 1; a reader
    /// preempted while the writer commits twice got snapshot N + 2 under the id N. Each commit
    /// here stores its own number, so every read can check that it shows the snapshot it pinned.
    /// The race needs a preempted reader, so this is a stress test: many readers on few cores.
    @Test("Every read transaction shows exactly the snapshot it pinned while a writer commits")
    func readersSeeThePinnedSnapshot() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let commits: Table<String, UInt64> = try store.openTable("commits")
        try store.write { txn in try txn.put(commits, "n", 0) }
        let base = try store.read { txn in txn.snapshotID }
        let done = Atomic<Bool>(false)
        let mismatches = Mutex<[String]>([])
        let reads = Atomic<Int>(0)
        let readerErrors = Mutex<[String]>([])
        let group = DispatchGroup()
        for _ in 0..<8 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while !done.load(ordering: .acquiring) {
                    do {
                        let (id, n) = try store.read { txn in (txn.snapshotID, try txn.get(commits, "n") ?? 0) }
                        if UInt64(id - base) != n {
                            mismatches.withLock { $0.append("pinned \(id - base), saw \(n)") }
                        }
                        reads.add(1, ordering: .relaxed)
                    } catch {
                        readerErrors.withLock { $0.append("\(error)") }
                        return
                    }
                }
            }
        }
        for n: UInt64 in 1...600 {
            try store.write { txn in try txn.put(commits, "n", n) }
        }
        done.store(true, ordering: .releasing)
        group.wait()
        #expect(readerErrors.withLock { $0 } == [])
        #expect(mismatches.withLock { $0 } == [])
        #expect(reads.load(ordering: .relaxed) > 0)
    }
}

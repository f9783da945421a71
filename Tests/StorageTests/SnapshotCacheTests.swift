import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Storage

@Suite("SnapshotCache: values decoded once per committed state")
struct SnapshotCacheTests {
    /// Counts the loads `cache` asks for while reading `key` through it.
    private final class Loads: Sendable {
        let count = Mutex(0)
        func load(_ table: Table<String, String>, _ key: String, _ txn: ReadTransaction) throws -> String? {
            count.withLock { $0 += 1 }
            return try txn.get(table, key)
        }
    }

    @Test("Reads of one snapshot load once; a commit makes the next read load the new value")
    func reusedUntilCommit() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<String, String> = try store.openTable("values")
        try store.write { try $0.put(table, "a", "one") }
        let cache = SnapshotCache<String, String>()
        let loads = Loads()
        for _ in 0..<3 {
            let value = try store.read { txn in try cache.value(for: "a", in: txn) { try loads.load(table, "a", txn) } }
            #expect(value == "one")
        }
        #expect(loads.count.withLock { $0 } == 1)
        // An absent key is remembered as absent for the snapshot too.
        for _ in 0..<2 {
            #expect(try store.read { txn in try cache.value(for: "b", in: txn) { try loads.load(table, "b", txn) } } == nil)
        }
        #expect(loads.count.withLock { $0 } == 2)

        try store.write { try $0.put(table, "a", "two") }
        let after = try store.read { txn in try cache.value(for: "a", in: txn) { try loads.load(table, "a", txn) } }
        #expect(after == "two")
        #expect(loads.count.withLock { $0 } == 3)
        #expect(cache.count == 1)
    }

    @Test("A write transaction always reads through, and what it saw is not kept")
    func writeTransactionsBypass() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<String, String> = try store.openTable("values")
        try store.write { try $0.put(table, "a", "one") }
        let cache = SnapshotCache<String, String>()
        let loads = Loads()
        struct RolledBack: Error {}
        #expect(throws: RolledBack.self) {
            try store.write { txn in
                try txn.put(table, "a", "uncommitted")
                #expect(try cache.value(for: "a", in: txn) { try loads.load(table, "a", txn) } == "uncommitted")
                throw RolledBack()
            }
        }
        #expect(cache.count == 0)
        #expect(try store.read { txn in try cache.value(for: "a", in: txn) { try loads.load(table, "a", txn) } } == "one")
    }

    @Test("A reader of an older snapshot reads its own state and leaves the newer one cached")
    func olderReaderReadsThrough() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<String, String> = try store.openTable("values")
        try store.write { try $0.put(table, "a", "old") }
        let cache = SnapshotCache<String, String>()
        let loads = Loads()
        let opened = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let seen = Mutex<String?>(nil)
        let thread = Thread {
            let value = try? store.read { txn -> String? in
                opened.signal()
                proceed.wait()
                return try cache.value(for: "a", in: txn) { try loads.load(table, "a", txn) }
            }
            seen.withLock { $0 = value ?? "failed" }
            opened.signal()
        }
        thread.start()
        opened.wait()
        try store.write { try $0.put(table, "a", "new") }
        #expect(try store.read { txn in try cache.value(for: "a", in: txn) { try loads.load(table, "a", txn) } } == "new")
        proceed.signal()
        opened.wait()
        #expect(seen.withLock { $0 } == "old")
        // The newer snapshot's value is still the cached one.
        #expect(try store.read { txn in try cache.value(for: "a", in: txn) { try loads.load(table, "a", txn) } } == "new")
        #expect(loads.count.withLock { $0 } == 2)
    }
}

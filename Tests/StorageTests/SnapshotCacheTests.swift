import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Storage

@Suite("SnapshotCache: values decoded once per committed state")
struct SnapshotCacheTests {
    /// A store holding "a" in a table, a cache in front of it and a count of the loads the
    /// cache asks for. Unchecked: `temporary` (the directory, removed with the fixture) is only
    /// touched by init and deinit; the rest is Sendable.
    private final class Fixture: @unchecked Sendable {
        let temporary: TemporaryStore
        let store: Store
        let table: Table<String, String>
        let cache = SnapshotCache<String, String>()
        let loads = Mutex(0)

        init(a: String) throws {
            temporary = try TemporaryStore()
            store = try temporary.opened
            table = try store.openTable("values")
            try put("a", a)
        }

        func put(_ key: String, _ value: String) throws {
            try store.write { try $0.put(table, key, value) }
        }

        /// `key` read through the cache in `txn`.
        func value(_ key: String, in txn: ReadTransaction) throws -> String? {
            try cache.value(for: key, in: txn) {
                loads.withLock { $0 += 1 }
                return try txn.get(table, key)
            }
        }

        /// `key` read through the cache in a read transaction of its own.
        func read(_ key: String) throws -> String? {
            try store.read { try value(key, in: $0) }
        }

        var loadCount: Int { loads.withLock { $0 } }
    }

    @Test("Reads of one snapshot load once; a commit makes the next read load the new value")
    func reusedUntilCommit() throws {
        let fixture = try Fixture(a: "one")
        for _ in 0..<3 {
            #expect(try fixture.read("a") == "one")
        }
        #expect(fixture.loadCount == 1)
        // An absent key is remembered as absent for the snapshot too.
        for _ in 0..<2 {
            #expect(try fixture.read("b") == nil)
        }
        #expect(fixture.loadCount == 2)

        try fixture.put("a", "two")
        #expect(try fixture.read("a") == "two")
        #expect(fixture.loadCount == 3)
        #expect(fixture.cache.count == 1)
    }

    @Test("A write transaction always reads through, and what it saw is not kept")
    func writeTransactionsBypass() throws {
        let fixture = try Fixture(a: "one")
        struct RolledBack: Error {}
        #expect(throws: RolledBack.self) {
            try fixture.store.write { txn in
                try txn.put(fixture.table, "a", "uncommitted")
                #expect(try fixture.value("a", in: txn) == "uncommitted")
                throw RolledBack()
            }
        }
        #expect(fixture.cache.count == 0)
        #expect(try fixture.read("a") == "one")
    }

    @Test("A reader of an older snapshot reads its own state and leaves the newer one cached")
    func olderReaderReadsThrough() throws {
        let fixture = try Fixture(a: "old")
        let opened = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let seen = Mutex<String?>(nil)
        let thread = Thread {
            let value = try? fixture.store.read { txn -> String? in
                opened.signal()
                proceed.wait()
                return try fixture.value("a", in: txn)
            }
            seen.withLock { $0 = value ?? "failed" }
            opened.signal()
        }
        thread.start()
        opened.wait()
        try fixture.put("a", "new")
        #expect(try fixture.read("a") == "new")
        proceed.signal()
        opened.wait()
        #expect(seen.withLock { $0 } == "old")
        // The newer snapshot's value is still the cached one.
        #expect(try fixture.read("a") == "new")
        #expect(fixture.loadCount == 2)
    }
}

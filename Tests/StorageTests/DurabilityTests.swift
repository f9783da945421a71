import Foundation
import Testing
@testable import Storage

@Suite("Store: deferred commits and flush")
struct DurabilityTests {
    @Test("Deferred commits are visible at once, synced by one flush, and kept across a reopen")
    func deferredThenFlush() throws {
        let temporary = try TemporaryStore()
        do {
            let store = try temporary.opened
            let table: Table<UInt64, UInt64> = try store.openTable("numbers")
            let before = store.syncCount
            for value in UInt64(1)...5 {
                try store.write(durability: .deferred) { txn in try txn.put(table, value, value * 10) }
            }
            // Readers see deferred commits like any other; nothing was synced yet.
            #expect(try store.read { txn in try txn.count(table) } == 5)
            #expect(store.syncCount == before)
            try store.flush()
            #expect(store.syncCount == before + 1)
            // Nothing deferred since: a second flush has nothing to sync.
            try store.flush()
            #expect(store.syncCount == before + 1)
            try store.write { txn in try txn.put(table, 6, 60) }
            #expect(store.syncCount == before + 2)
        }
        temporary.close()
        let store = try temporary.opened
        let table: Table<UInt64, UInt64> = try store.openTable("numbers")
        #expect(try store.read { txn in try (1...6).map { try txn.get(table, UInt64($0)) } } == [10, 20, 30, 40, 50, 60])
    }

    @Test("A durable commit after deferred ones syncs them too: the next flush has nothing left")
    func durableCommitCoversDeferred() throws {
        let temporary = try TemporaryStore()
        let store = try temporary.opened
        let table: Table<UInt64, UInt64> = try store.openTable("numbers")
        try store.write(durability: .deferred) { txn in try txn.put(table, 1, 1) }
        try store.write(durability: .deferred) { txn in try txn.put(table, 2, 2) }
        let before = store.syncCount
        try store.write { txn in try txn.put(table, 3, 3) }
        #expect(store.syncCount == before + 1)
        try store.flush()
        #expect(store.syncCount == before + 1)
    }

    @Test("A deferred write that fills the map grows it and commits once, still deferred")
    func deferredWriteGrowsMap() throws {
        let temporary = try TemporaryStore(initialMapSize: 256 * 1024)
        let store = try temporary.opened
        let table: Table<UInt64, [UInt8]> = try store.openTable("blobs")
        var runs = 0
        let before = store.syncCount
        try store.write(durability: .deferred) { txn in
            runs += 1
            for key in UInt64(0)..<400 { try txn.put(table, key, [UInt8](repeating: 7, count: 1_000)) }
        }
        #expect(runs >= 2)
        #expect(store.info().growthCount >= 1)
        #expect(store.syncCount == before)
        #expect(try store.read { txn in try txn.count(table) } == 400)
        try store.flush()
        #expect(store.syncCount == before + 1)
    }
}

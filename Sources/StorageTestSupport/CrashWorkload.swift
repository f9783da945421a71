import Storage

/// Test support, not API: the workload both the crash writer and the crash test agree on.
///
/// Transaction `n` (1, 2, 3, …) sets the counter to `n`, writes `recordCount(n)` records keyed
/// `(n, i)`, adds `n` to posting list `n % 7`, and deletes the records of transaction `n - 5`
/// when that one is a multiple of ten plus three. A reader can therefore tell from the
/// counter alone exactly which records and postings must exist.
public enum CrashWorkload {
    public struct RecordKey: StorageRecord, Equatable {
        public var transaction: UInt64
        public var index: UInt32

        public func encode(to writer: inout ByteWriter) {
            writer.append(transaction)
            writer.append(index)
        }

        public init(transaction: UInt64, index: UInt32) {
            self.transaction = transaction
            self.index = index
        }

        public init(from reader: inout ByteReader) throws(StorageError) {
            transaction = try reader.read()
            index = try reader.read()
        }
    }

    public static func recordCount(_ transaction: UInt64) -> UInt32 {
        UInt32(1 + transaction % 13)
    }

    /// Records vary from 64 bytes to a few KiB so page splits, overflow pages and map growth happen.
    public static func recordValue(_ transaction: UInt64, _ index: UInt32) -> [UInt8] {
        let size = 64 + Int((transaction &* 31 &+ UInt64(index) &* 17) % 3000)
        let seed = UInt8(truncatingIfNeeded: transaction &+ UInt64(index))
        return (0..<size).map { UInt8(truncatingIfNeeded: $0) &+ seed }
    }

    public static func deletedBy(_ transaction: UInt64) -> UInt64? {
        guard transaction > 5, (transaction - 5) % 10 == 3 else { return nil }
        return transaction - 5
    }

    public struct Tables {
        public var meta: Table<String, UInt64>
        public var records: Table<RecordKey, [UInt8]>
        public var postings: Table<UInt64, UInt64>

        public init(_ store: Store) throws(StorageError) {
            meta = try store.openTable("meta")
            records = try store.openTable("records")
            postings = try store.openTable("postings", options: [.duplicateSort, .duplicateFixed])
        }
    }

    /// Commits transaction `counter + 1` and returns its number.
    public static func commitNext(_ store: Store, _ tables: Tables, durability: WriteDurability = .durable) throws -> UInt64 {
        try store.write(durability: durability) { txn in
            let next = (try txn.get(tables.meta, "counter") ?? 0) + 1
            for index in 0..<recordCount(next) {
                try txn.put(tables.records, RecordKey(transaction: next, index: index), recordValue(next, index))
            }
            try txn.put(tables.postings, next % 7, next)
            if let victim = deletedBy(next) {
                for index in 0..<recordCount(victim) {
                    try txn.delete(tables.records, RecordKey(transaction: victim, index: index))
                }
            }
            try txn.put(tables.meta, "counter", next)
            return next
        }
    }
}

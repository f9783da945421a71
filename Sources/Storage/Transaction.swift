import CLMDB
import Glibc

/// A read-only snapshot of the store, valid only inside the closure given to ``Store/read(_:)``.
///
/// It sees the state as of its start, unaffected by writes committed later.
public class ReadTransaction {
    let pointer: OpaquePointer
    unowned let store: Store
    private(set) var isOpen = true

    init(pointer: OpaquePointer, store: Store) {
        self.pointer = pointer
        self.store = store
    }

    func close() {
        isOpen = false
    }

    /// The id of the committed transaction this snapshot shows (LMDB's txnid): two read
    /// transactions with the same id see the same data. In a write transaction it is the id
    /// the transaction will commit as, and its data may still be rolled back.
    public var snapshotID: Int {
        mdb_txn_id(pointer)
    }

    /// False in a write transaction, whose view may hold uncommitted changes.
    public var isReadOnly: Bool { true }

    /// Drops the map's pages from the process's resident set in the middle of a long scan or
    /// a large write (see ``Store/releaseResidentMapPages()``): what this transaction reads
    /// stays valid and faults back from the page cache when read again; what it wrote is on
    /// the heap until it commits. Bounds the RSS a transaction adds, whatever the size of the
    /// file it reads.
    public func releaseResidentMapPages() {
        guard isOpen else { return }
        store.releaseMapPagesInGate()
    }

    /// Throws unless the transaction is still open and `table` belongs to this store.
    func ensureUsable<K, V>(_ table: Table<K, V>) throws(StorageError) {
        guard isOpen else { throw .transactionClosed(path: store.path) }
        guard table.storeIdentity == ObjectIdentifier(store) else {
            throw .incompatible(path: store.path, detail: "table '\(table.name)' belongs to another store")
        }
    }

    // MARK: Point reads

    /// The value stored under `key` (for duplicate tables, the first of its values).
    public func get<K, V>(_ table: Table<K, V>, _ key: K) throws(StorageError) -> V? {
        try ensureUsable(table)
        return try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) -> V? in
            var data = MDB_val()
            let rc = mdb_get(pointer, table.handle, &keyVal, &data)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "get from '\(table.name)'", table.name)
            return try decode(data, as: V.self, table: table.name)
        }
    }

    /// Calls `body` with the raw bytes stored under `key` without copying or decoding them.
    /// The bytes are valid only during the call.
    public func withRawValue<K, V, R>(
        _ table: Table<K, V>,
        _ key: K,
        _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        try ensureUsable(table)
        var found: UnsafeRawBufferPointer?
        try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) in
            var data = MDB_val()
            let rc = mdb_get(pointer, table.handle, &keyVal, &data)
            if rc == MDB_NOTFOUND { return }
            try check(rc, "get from '\(table.name)'", table.name)
            found = UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
        }
        return try body(found)
    }

    /// Whether `key` is present.
    public func contains<K, V>(_ table: Table<K, V>, _ key: K) throws(StorageError) -> Bool {
        try ensureUsable(table)
        return try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) -> Bool in
            var data = MDB_val()
            let rc = mdb_get(pointer, table.handle, &keyVal, &data)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "look up in '\(table.name)'", table.name)
            return true
        }
    }

    /// The number of records (for duplicate tables, key/value pairs) in `table`.
    public func count<K, V>(_ table: Table<K, V>) throws(StorageError) -> Int {
        try statistics(table).entries
    }

    /// How `table` is laid out: its records and the pages of its B-tree.
    public func statistics<K, V>(_ table: Table<K, V>) throws(StorageError) -> TableStatistics {
        try ensureUsable(table)
        var stat = MDB_stat()
        try check(mdb_stat(pointer, table.handle, &stat), "stat '\(table.name)'", table.name)
        return TableStatistics(entries: stat.ms_entries, depth: Int(stat.ms_depth), branchPages: stat.ms_branch_pages,
                               leafPages: stat.ms_leaf_pages, overflowPages: stat.ms_overflow_pages,
                               pageSize: Int(stat.ms_psize))
    }

    // MARK: Scans

    /// Visits records in key order (or reverse order) within `bounds`, until `body` says stop.
    public func forEach<K, V>(
        in table: Table<K, V>,
        _ bounds: KeyBounds<K> = .all,
        reverse: Bool = false,
        _ body: (K, V) throws -> ScanControl
    ) throws {
        try forEachRaw(in: table, bounds, reverse: reverse) { keyBytes, valueBytes in
            let key = try decodeBytes(keyBytes, as: K.self, table: table.name)
            let value = try decodeBytes(valueBytes, as: V.self, table: table.name)
            return try body(key, value)
        }
    }

    /// Visits the raw bytes of records in key order within `bounds`; the buffers are valid
    /// only during each call.
    public func forEachRaw<K, V>(
        in table: Table<K, V>,
        _ bounds: KeyBounds<K> = .all,
        reverse: Bool = false,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> ScanControl
    ) throws {
        try ensureUsable(table)
        let (lower, upper) = Self.byteBounds(bounds)
        let cursor = try openCursor(table)
        defer { mdb_cursor_close(cursor) }

        var key = MDB_val()
        var data = MDB_val()
        var rc: Int32
        let step: MDB_cursor_op
        if !reverse {
            step = MDB_NEXT
            if let lower {
                rc = lower.withUnsafeBytes { bytes in
                    key = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    return mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE)
                }
            } else {
                rc = mdb_cursor_get(cursor, &key, &data, MDB_FIRST)
            }
        } else {
            step = MDB_PREV
            if let upper {
                rc = upper.withUnsafeBytes { bytes in
                    key = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    return mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE)
                }
                // Positioned on the first key >= upper (excluded): step back once; past the end: start at the last.
                rc = rc == 0 ? mdb_cursor_get(cursor, &key, &data, MDB_PREV)
                    : (rc == MDB_NOTFOUND ? mdb_cursor_get(cursor, &key, &data, MDB_LAST) : rc)
            } else {
                rc = mdb_cursor_get(cursor, &key, &data, MDB_LAST)
            }
        }
        while rc == 0 {
            let keyBytes = UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)
            if !reverse, let upper, Self.compare(keyBytes, upper) >= 0 { return }
            if reverse, let lower, Self.compare(keyBytes, lower) < 0 { return }
            let valueBytes = UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
            if try body(keyBytes, valueBytes) == .stop { return }
            rc = mdb_cursor_get(cursor, &key, &data, step)
        }
        if rc != MDB_NOTFOUND {
            try check(rc, "scan '\(table.name)'", table.name)
        }
    }

    // MARK: Duplicates

    /// Visits every value stored under `key` in a duplicate-sorted table, in value order.
    public func forEachValue<K, V>(
        in table: Table<K, V>,
        forKey key: K,
        _ body: (V) throws -> ScanControl
    ) throws {
        try ensureUsable(table)
        let cursor = try openCursor(table)
        defer { mdb_cursor_close(cursor) }
        let operation = { "read duplicates of '\(table.name)'" }
        guard var data = try seek(cursor, to: key, in: table, operation) else { return }
        var rc: Int32 = 0
        repeat {
            let value = try decode(data, as: V.self, table: table.name)
            if try body(value) == .stop { return }
            var ignoredKey = MDB_val()
            rc = mdb_cursor_get(cursor, &ignoredKey, &data, MDB_NEXT_DUP)
        } while rc == 0
        if rc != MDB_NOTFOUND {
            try check(rc, operation(), table.name)
        }
    }

    /// For a ``TableOptions/duplicateFixed`` table, calls `body` with contiguous runs of the
    /// values under `key` (each value `valueSize` bytes), the fastest way to read postings.
    public func forEachValueBatch<K, V>(
        in table: Table<K, V>,
        forKey key: K,
        _ body: (_ values: UnsafeRawBufferPointer, _ valueSize: Int) throws -> ScanControl
    ) throws {
        try ensureUsable(table)
        guard table.options.contains(.duplicateFixed) else {
            throw StorageError.incompatible(path: store.path, detail: "table '\(table.name)' is not duplicate-fixed")
        }
        let cursor = try openCursor(table)
        defer { mdb_cursor_close(cursor) }
        let operation = { "read postings of '\(table.name)'" }
        guard var data = try seek(cursor, to: key, in: table, operation) else { return }
        let valueSize = data.mv_size
        var ignoredKey = MDB_val()
        var rc = mdb_cursor_get(cursor, &ignoredKey, &data, MDB_GET_MULTIPLE)
        while rc == 0 {
            let run = UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
            if try body(run, valueSize) == .stop { return }
            rc = mdb_cursor_get(cursor, &ignoredKey, &data, MDB_NEXT_MULTIPLE)
        }
        if rc != MDB_NOTFOUND {
            try check(rc, operation(), table.name)
        }
    }

    /// The number of values stored under `key` (0 when absent).
    public func valueCount<K, V>(in table: Table<K, V>, forKey key: K) throws(StorageError) -> Int {
        try ensureUsable(table)
        let cursor = try openCursor(table)
        defer { mdb_cursor_close(cursor) }
        let operation = { "count duplicates in '\(table.name)'" }
        guard try seek(cursor, to: key, in: table, operation) != nil else { return 0 }
        if !table.options.contains(.duplicateSort) { return 1 }
        var count = 0
        try check(mdb_cursor_count(cursor, &count), operation(), table.name)
        return count
    }

    /// Moves `cursor` to the first value stored under `key` and returns it, or nil when the
    /// key is absent.
    private func seek<K, V>(
        _ cursor: OpaquePointer,
        to key: K,
        in table: Table<K, V>,
        _ operation: () -> String
    ) throws(StorageError) -> MDB_val? {
        try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) -> MDB_val? in
            var data = MDB_val()
            let rc = mdb_cursor_get(cursor, &keyVal, &data, MDB_SET_KEY)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, operation(), table.name)
            return data
        }
    }

    // MARK: Internals shared with WriteTransaction

    func openCursor<K, V>(_ table: Table<K, V>) throws(StorageError) -> OpaquePointer {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(pointer, table.handle, &cursor), "open cursor on '\(table.name)'", table.name)
        guard let cursor else {
            throw .lmdb(path: store.path, operation: "open cursor", code: -1, message: "no cursor returned")
        }
        return cursor
    }

    /// Throws the error `rc` stands for. The description is only built on failure: this runs
    /// once per record written or read.
    func check(_ rc: Int32, _ operation: @autoclosure () -> String, _ table: String = "") throws(StorageError) {
        if rc != 0 {
            throw StorageError.from(code: rc, path: store.path, operation: operation(), table: table)
        }
    }

    /// Encodes `value` and hands `body` an `MDB_val` over its bytes.
    func withValue<E: StorageEncodable, R>(
        _ value: E,
        _ body: (inout MDB_val) throws(StorageError) -> R
    ) throws(StorageError) -> R {
        let outcome: Result<R, StorageError> = value.withStorageBytes { bytes in
            var val = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            do throws(StorageError) {
                return .success(try body(&val))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    func decode<T: StorageDecodable>(_ val: MDB_val, as type: T.Type, table: String) throws(StorageError) -> T {
        try decodeBytes(UnsafeRawBufferPointer(start: val.mv_data, count: val.mv_size), as: type, table: table)
    }

    func decodeBytes<T: StorageDecodable>(
        _ bytes: UnsafeRawBufferPointer,
        as type: T.Type,
        table: String
    ) throws(StorageError) -> T {
        do {
            return try T(storageBytes: bytes)
        } catch .decoding(_, let detail) {
            throw .decoding(table: table, detail: detail)
        }
    }

    /// The encoded lower (inclusive) and upper (exclusive) bounds of a scan.
    static func byteBounds<K>(_ bounds: KeyBounds<K>) -> (lower: [UInt8]?, upper: [UInt8]?) {
        switch bounds {
        case .all:
            return (nil, nil)
        case .from(let key):
            return (key.withStorageBytes { Array($0) }, nil)
        case .between(let low, let high):
            return (low.withStorageBytes { Array($0) }, high.withStorageBytes { Array($0) })
        case .prefix(let prefix):
            return (prefix, successor(of: prefix))
        }
    }

    /// The smallest byte string greater than every string starting with `prefix`, or nil if none.
    static func successor(of prefix: [UInt8]) -> [UInt8]? {
        var bytes = prefix
        while let last = bytes.last {
            if last == 0xFF {
                bytes.removeLast()
            } else {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
        }
        return nil
    }

    /// LMDB's default key order: bytewise, a proper prefix sorting first.
    static func compare(_ lhs: UnsafeRawBufferPointer, _ rhs: [UInt8]) -> Int {
        let common = min(lhs.count, rhs.count)
        let order = rhs.withUnsafeBytes { right -> Int32 in
            common == 0 ? 0 : memcmp(lhs.baseAddress!, right.baseAddress!, common)
        }
        if order != 0 { return Int(order) }
        return lhs.count - rhs.count
    }
}

/// The single write transaction, valid only inside the closure given to ``Store/write(_:)``.
///
/// Reads through it see its own uncommitted changes.
public final class WriteTransaction: ReadTransaction {
    private let ownerThread = pthread_self()
    /// Set when LMDB reported a full map; the store then grows the map and reruns the body.
    private(set) var hitMapFull = false

    override public var isReadOnly: Bool { false }

    override func ensureUsable<K, V>(_ table: Table<K, V>) throws(StorageError) {
        try super.ensureUsable(table)
        guard pthread_equal(ownerThread, pthread_self()) != 0 else {
            throw .wrongThread(path: store.path)
        }
    }

    override func check(_ rc: Int32, _ operation: @autoclosure () -> String, _ table: String = "") throws(StorageError) {
        if rc == MDB_MAP_FULL {
            hitMapFull = true
        }
        try super.check(rc, operation(), table)
    }

    /// Stores `value` under `key`. Returns `false` when `mode` is ``PutMode/insertOnly`` and
    /// the key (or, in a duplicate table, the pair) already exists.
    @discardableResult
    public func put<K, V>(_ table: Table<K, V>, _ key: K, _ value: V, mode: PutMode = .upsert) throws(StorageError) -> Bool {
        try ensureUsable(table)
        var flags: UInt32 = 0
        switch mode {
        case .upsert:
            break
        case .insertOnly:
            flags = UInt32(table.options.contains(.duplicateSort) ? MDB_NODUPDATA : MDB_NOOVERWRITE)
        case .append:
            flags = UInt32(table.options.contains(.duplicateSort) ? MDB_APPENDDUP : MDB_APPEND)
        }
        return try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) -> Bool in
            try withValue(value) { (dataVal: inout MDB_val) throws(StorageError) -> Bool in
                let rc = mdb_put(pointer, table.handle, &keyVal, &dataVal, flags)
                if rc == MDB_KEYEXIST { return false }
                try check(rc, "put into '\(table.name)'", table.name)
                return true
            }
        }
    }

    /// Removes `key` and, in a duplicate table, all its values. Returns whether anything was removed.
    @discardableResult
    public func delete<K, V>(_ table: Table<K, V>, _ key: K) throws(StorageError) -> Bool {
        try ensureUsable(table)
        return try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) -> Bool in
            let rc = mdb_del(pointer, table.handle, &keyVal, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "delete from '\(table.name)'", table.name)
            return true
        }
    }

    /// Removes one value of `key` from a duplicate table. Returns whether it was present.
    @discardableResult
    public func delete<K, V>(_ table: Table<K, V>, _ key: K, value: V) throws(StorageError) -> Bool {
        try ensureUsable(table)
        return try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) -> Bool in
            try withValue(value) { (dataVal: inout MDB_val) throws(StorageError) -> Bool in
                let rc = mdb_del(pointer, table.handle, &keyVal, &dataVal)
                if rc == MDB_NOTFOUND { return false }
                try check(rc, "delete from '\(table.name)'", table.name)
                return true
            }
        }
    }

    /// Removes every key within `bounds` (with all their values). Returns how many keys went.
    ///
    /// Keys are collected first and deleted with `mdb_del`: repeated cursor deletes on
    /// duplicate tables are buggy in Debian's LMDB 0.9.24 (ITS#9376).
    @discardableResult
    public func deleteAll<K, V>(in table: Table<K, V>, _ bounds: KeyBounds<K>) throws -> Int {
        var keys: [[UInt8]] = []
        try forEachRaw(in: table, bounds) { key, _ in
            if keys.last.map({ !$0.elementsEqual(key) }) ?? true {
                keys.append(Array(key))
            }
            return .continue
        }
        for key in keys {
            try delete(table, RawKey(key))
        }
        return keys.count
    }

    /// Empties `table`, keeping it open.
    public func clear<K, V>(_ table: Table<K, V>) throws(StorageError) {
        try ensureUsable(table)
        try check(mdb_drop(pointer, table.handle, 0), "clear '\(table.name)'", table.name)
    }

    private func delete<K, V>(_ table: Table<K, V>, _ key: RawKey) throws(StorageError) {
        try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) in
            let rc = mdb_del(pointer, table.handle, &keyVal, nil)
            if rc != MDB_NOTFOUND {
                try check(rc, "delete from '\(table.name)'", table.name)
            }
        }
    }
}

/// Already-encoded key bytes.
private struct RawKey: StorageEncodable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
}

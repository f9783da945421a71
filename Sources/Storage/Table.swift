import CLMDB

/// How a named table stores its records.
public struct TableOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Several sorted values per key (LMDB `MDB_DUPSORT`), e.g. postings: term → chunk ids.
    public static let duplicateSort = TableOptions(rawValue: UInt32(MDB_DUPSORT))
    /// With ``duplicateSort``: every value has the same size, enabling batched reads
    /// (`MDB_DUPFIXED`). Debian's LMDB 0.9.24 is only safe with fixed-size duplicates.
    public static let duplicateFixed = TableOptions(rawValue: UInt32(MDB_DUPFIXED))
}

/// A named LMDB database with typed keys and values.
///
/// Obtain one from ``Store/openTable(_:options:)``. It is a lightweight handle, valid for the
/// life of its ``Store``, and can be shared freely between threads and tasks.
public struct Table<Key: StorageCodable, Value: StorageCodable>: Sendable {
    /// The table's name in the store.
    public let name: String
    /// How it was opened.
    public let options: TableOptions
    let handle: MDB_dbi
    /// Identifies the store the handle belongs to, so a table from another store is refused.
    let storeIdentity: ObjectIdentifier
}

/// Where a scan starts and stops, in key order.
public enum KeyBounds<Key: StorageEncodable> {
    /// Every record.
    case all
    /// Keys greater than or equal to the bound.
    case from(Key)
    /// Keys in `lower ..< upper`.
    case between(Key, Key)
    /// Keys whose encoding starts with the given bytes.
    case prefix([UInt8])
}

/// What a scan callback wants next.
public enum ScanControl: Sendable {
    case `continue`
    case stop
}

/// Flags for ``WriteTransaction/put(_:_:_:mode:)``.
public enum PutMode: Sendable {
    /// Insert or replace.
    case upsert
    /// Fail quietly (return `false`) if the key exists; for dup tables, if the key/value pair exists.
    case insertOnly
    /// The key is greater than every key in the table: a fast path for sorted bulk loads.
    case append
}

/// A table's records and the pages its B-tree takes (LMDB's `mdb_stat`), read in a transaction.
public struct TableStatistics: Sendable, Equatable {
    /// Records (for duplicate tables, key/value pairs).
    public var entries: Int
    /// Levels of the B-tree (0 when empty).
    public var depth: Int
    public var branchPages: Int
    public var leafPages: Int
    /// Pages of values too large for a leaf page.
    public var overflowPages: Int
    /// The size of each page in bytes.
    public var pageSize: Int

    public init(entries: Int, depth: Int, branchPages: Int, leafPages: Int, overflowPages: Int, pageSize: Int) {
        self.entries = entries
        self.depth = depth
        self.branchPages = branchPages
        self.leafPages = leafPages
        self.overflowPages = overflowPages
        self.pageSize = pageSize
    }
}

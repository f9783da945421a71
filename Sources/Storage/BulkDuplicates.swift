import CLMDB

extension WriteTransaction {
    /// Adds `values` under `key` in a ``TableOptions/duplicateFixed`` table with one bulk LMDB
    /// write (`MDB_MULTIPLE`), several times faster than one ``put(_:_:_:mode:)`` per value.
    ///
    /// Values already stored under `key`, or repeated within `values`, are not an error: each
    /// stays stored once. Any order is correct. The fast path is values in ascending order of
    /// their encodings (the table's own order, numeric order for the integer types) that all
    /// sort after the values already under `key`: they are appended, leaving full pages.
    /// Like every write, this may run again from the start of the ``Store/write(_:)`` body
    /// when the map grows.
    /// - Returns: how many values were new under `key`.
    @discardableResult
    public func putDuplicates<K, V: FixedSizeStorable>(
        _ table: Table<K, V>,
        _ key: K,
        _ values: some Collection<V>
    ) throws(StorageError) -> Int {
        let size = V.storageSize
        let capacity = values.count * size
        return try withUnsafeTemporaryAllocation(byteCount: max(capacity, 1), alignment: 16) {
            (buffer: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int in
            var offset = 0
            var badSize: Int?
            for value in values where offset + size <= capacity {
                value.withStorageBytes { bytes in
                    if bytes.count == size, let source = bytes.baseAddress {
                        (buffer.baseAddress! + offset).copyMemory(from: source, byteCount: size)
                    } else {
                        badSize = bytes.count
                    }
                }
                offset += size
            }
            if let badSize {
                throw .invalidSize(path: store.path, table: table.name,
                                   detail: "a \(V.self) encoded to \(badSize) bytes instead of \(size)")
            }
            return try putDuplicates(table, key, encodedValues: UnsafeRawBufferPointer(rebasing: buffer[0..<offset]))
        }
    }

    /// ``putDuplicates(_:_:_:)`` for values already encoded: `encodedValues` holds encodings of
    /// `V.storageSize` bytes each, back to back, best in ascending byte order.
    /// - Returns: how many values were new under `key`.
    @discardableResult
    public func putDuplicates<K, V: FixedSizeStorable>(
        _ table: Table<K, V>,
        _ key: K,
        encodedValues: UnsafeRawBufferPointer
    ) throws(StorageError) -> Int {
        try ensureUsable(table)
        guard table.options.isSuperset(of: [.duplicateSort, .duplicateFixed]) else {
            throw .incompatible(path: store.path, detail: "table '\(table.name)' is not duplicate-sorted and fixed")
        }
        let size = V.storageSize
        guard size > 0, encodedValues.count % size == 0 else {
            throw .invalidSize(path: store.path, table: table.name,
                               detail: "\(encodedValues.count) bytes are not a whole number of \(size)-byte values")
        }
        guard encodedValues.count > 0 else { return 0 }
        let entriesBefore = try self.count(table)
        let cursor = try openCursor(table)
        defer { mdb_cursor_close(cursor) }
        try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) in
            try putDuplicates(encodedValues, size: size, under: &keyVal, cursor: cursor, table: table)
        }
        return try self.count(table) - entriesBefore
    }

    /// ``putDuplicates(_:_:encodedValues:)`` for many keys through one cursor: `body` calls
    /// the function it is given once per key with that key's encoded values. With the keys in
    /// ascending order LMDB finds each one from the leaf page the cursor is on, instead of
    /// searching the tree from its root and opening a cursor per key.
    /// Errors thrown by `body` (the writes' among them) end the call and must abandon the
    /// transaction, as any failed write does.
    /// - Returns: how many values were new, over all keys.
    @discardableResult
    public func putDuplicates<K, V: FixedSizeStorable>(
        _ table: Table<K, V>,
        runs body: (_ put: (K, UnsafeRawBufferPointer) throws(StorageError) -> Void) throws -> Void
    ) throws -> Int {
        try ensureUsable(table)
        guard table.options.isSuperset(of: [.duplicateSort, .duplicateFixed]) else {
            throw StorageError.incompatible(path: store.path, detail: "table '\(table.name)' is not duplicate-sorted and fixed")
        }
        let size = V.storageSize
        let entriesBefore = try self.count(table)
        let cursor = try openCursor(table)
        defer { mdb_cursor_close(cursor) }
        try body { (key: K, encodedValues: UnsafeRawBufferPointer) throws(StorageError) in
            guard size > 0, encodedValues.count % size == 0 else {
                throw .invalidSize(path: store.path, table: table.name,
                                   detail: "\(encodedValues.count) bytes are not a whole number of \(size)-byte values")
            }
            guard encodedValues.count > 0 else { return }
            try withValue(key) { (keyVal: inout MDB_val) throws(StorageError) in
                try putDuplicates(encodedValues, size: size, under: &keyVal, cursor: cursor, table: table)
            }
        }
        return try self.count(table) - entriesBefore
    }

    /// Writes `encodedValues` (whole `size`-byte values, not empty) under `keyVal` with `cursor`.
    private func putDuplicates<K, V>(
        _ encodedValues: UnsafeRawBufferPointer, size: Int, under keyVal: inout MDB_val, cursor: OpaquePointer,
        table: Table<K, V>
    ) throws(StorageError) {
        let count = encodedValues.count / size
        let base = encodedValues.baseAddress!
        // Appending first: values above every stored one go to the end without a search,
        // and full pages split the way appends do, leaving them full. LMDB refuses at the
        // first value that is not above the last (storing nothing for it); the rest then
        // goes through ordinary inserts.
        var flags = UInt32(MDB_MULTIPLE | MDB_APPENDDUP)
        var done = 0
        while done < count {
            let remaining = count - done
            // MDB_MULTIPLE takes two MDB_vals: the first value and its size, then the count,
            // which LMDB overwrites with how many it wrote.
            var values = (MDB_val(mv_size: size, mv_data: UnsafeMutableRawPointer(mutating: base + done * size)),
                          MDB_val(mv_size: remaining, mv_data: nil))
            let rc = withUnsafeMutableBytes(of: &values) { pair in
                mdb_cursor_put(cursor, &keyVal, pair.baseAddress!.assumingMemoryBound(to: MDB_val.self), flags)
            }
            let written = values.1.mv_size
            if rc == MDB_KEYEXIST, flags & UInt32(MDB_APPENDDUP) != 0 {
                flags = UInt32(MDB_MULTIPLE)
                done += written
                continue
            }
            try check(rc, "put duplicates into '\(table.name)'", table.name)
            // Ordinary inserts stop early, reporting success, at a value equal to the key's
            // only stored value (LMDB 0.9): it is already there, so carry on after it.
            done += written < remaining ? written + 1 : written
        }
    }
}

import Storage

/// How `search.chunks` holds a ``StoredChunk``. LMDB puts a value of more than about 2 KB on
/// overflow pages of its own, whole 4 KB pages each (a 2.1 KB chunk would waste half of its
/// two), so a longer record is cut into pieces that pack into ordinary leaf pages. The head
/// piece, under the chunk's ``ChunkKey``, starts with the number of pieces; the others follow
/// under ``ChunkPieceKey``s numbered from 1, which sort right after the head.
enum ChunkPieces {
    /// The most a piece holds: far under LMDB's 2,038-byte node limit for 4 KB pages, and
    /// small enough that appended pieces fill about nine tenths of each leaf page.
    static let maxPiece = 1_000

    /// The pieces of an encoded ``StoredChunk``, of about equal size, the head first.
    static func split(_ record: [UInt8]) -> [[UInt8]] {
        let count = min(max(1, (record.count + maxPiece - 1) / maxPiece), Int(UInt8.max))
        let size = (record.count + count - 1) / count
        return (0..<count).map { index in
            let start = index * size
            // The last piece takes the rest (more than `maxPiece` only past 255 pieces).
            let end = index == count - 1 ? record.count : min(start + size, record.count)
            return index == 0 ? [UInt8(count)] + record[start..<end] : Array(record[start..<end])
        }
    }

    /// How many pieces a record has, from its head.
    static func count(head: [UInt8]) -> Int {
        Int(head.first ?? 0)
    }

    /// The chunk from its head and the other pieces in order.
    static func join(head: [UInt8], rest: [[UInt8]]) throws(StorageError) -> StoredChunk {
        try join(head: head, rest: rest, as: StoredChunk.self)
    }

    /// A record of any type from its head and the other pieces in order (``PageText`` is
    /// stored the same way).
    static func join<Record: StorageRecord>(head: [UInt8], rest: [[UInt8]], as _: Record.Type) throws(StorageError) -> Record {
        var record = Array(head.dropFirst())
        for piece in rest { record += piece }
        let decoded: Result<Record, StorageError> = record.withUnsafeBytes { bytes in
            Result { () throws(StorageError) in try Record(storageBytes: bytes) }
        }
        return try decoded.get()
    }
}

extension SearchIndex {
    /// Stores a chunk's pieces; its key sorts after every chunk already stored for the datastore.
    func putChunk(_ pieces: [[UInt8]], key: ChunkKey, in transaction: WriteTransaction) throws(StorageError) {
        for (index, piece) in pieces.enumerated() {
            if index == 0 {
                try appendOrPut(tables.chunkHeads, key, piece, in: transaction)
            } else {
                try appendOrPut(tables.chunkPieces, ChunkPieceKey(key, piece: UInt8(index)), piece, in: transaction)
            }
        }
    }

    /// The stored chunk under `key`, or nil.
    func readChunk(_ key: ChunkKey, in transaction: ReadTransaction) throws(SearchError) -> StoredChunk? {
        try storageCall {
            guard let head = try transaction.get(tables.chunkHeads, key) else { return nil }
            let count = ChunkPieces.count(head: head)
            guard count >= 1 else {
                throw SearchError.corruptedIndex(datastore: key.datastore, detail: "chunk \(key.chunkID) has no pieces")
            }
            let rest = try (1..<count).map { index in
                guard let piece = try transaction.get(tables.chunkPieces, ChunkPieceKey(key, piece: UInt8(index))) else {
                    throw SearchError.corruptedIndex(datastore: key.datastore,
                                                     detail: "chunk \(key.chunkID) lacks piece \(index) of \(count)")
                }
                return piece
            }
            return try ChunkPieces.join(head: head, rest: rest)
        }
    }

    /// Deletes the chunk under `key` with all its pieces; returns what it held, or nil if absent.
    func deleteChunk(_ key: ChunkKey, in transaction: WriteTransaction) throws(SearchError) -> StoredChunk? {
        guard let chunk = try readChunk(key, in: transaction) else { return nil }
        try storageCall {
            let count = try transaction.get(tables.chunkHeads, key).map(ChunkPieces.count(head:)) ?? 1
            for index in 1..<max(count, 1) {
                try transaction.delete(tables.chunkPieces, ChunkPieceKey(key, piece: UInt8(index)))
            }
            try transaction.delete(tables.chunkHeads, key)
        }
        return chunk
    }

    /// Appends (the fast path for keys beyond the last) and falls back to an ordinary insert
    /// when LMDB refuses because something sorts after it (another datastore's records, say).
    @inline(__always)
    func appendOrPut<K, V>(_ table: Storage.Table<K, V>, _ key: K, _ value: V, in transaction: WriteTransaction) throws(StorageError) {
        if try !transaction.put(table, key, value, mode: .append) {
            try transaction.put(table, key, value)
        }
    }
}

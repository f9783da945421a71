import Storage

/// A chunk waiting for its embedding: its id and the text to embed.
public struct PendingChunk: Sendable, Equatable {
    public var chunkID: UInt64
    /// The chunk as a passage: its place (title › headings), then its Markdown.
    public var text: String
}

/// One nearest chunk of a k-NN scan.
public struct VectorNeighbour: Sendable, Equatable {
    public var chunkID: UInt64
    /// Approximate cosine similarity, −1…1.
    public var similarity: Float
}

extension SearchIndex {
    /// The datastore's vector state, nil when it never had vectors.
    public func vectorState(datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> VectorState? {
        try storageCall { try transaction.get(vectorTables.state, datastore) }
    }

    /// Makes `model` the datastore's embedding model: when its vectors come from another model
    /// (or there are none), they are all dropped and embedding starts over. Returns the state.
    @discardableResult
    public func useEmbeddingModel(_ model: String, datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) -> VectorState {
        if let state = try vectorState(datastore: datastore, in: transaction), state.model == model { return state }
        try removeAllVectors(datastore: datastore, in: transaction)
        let state = VectorState(model: model)
        try storageCall { try transaction.put(vectorTables.state, datastore, state) }
        return state
    }

    /// Chunks without a vector, in id order from the state's watermark, at most `limit`.
    public func pendingChunks(datastore: UInt64, limit: Int, in transaction: ReadTransaction) throws(SearchError) -> [PendingChunk] {
        let from = try vectorState(datastore: datastore, in: transaction)?.watermark ?? 0
        var ids: [UInt64] = []
        try storageCall {
            let prefix = datastorePrefix(datastore)
            try transaction.forEachRaw(in: tables.chunkHeads, .between(
                ChunkKey(datastore: datastore, chunkID: from), ChunkKey(datastore: datastore, chunkID: .max)
            )) { key, _ in
                // Heads only: a chunk's later pieces have one more byte in their key.
                guard key.count == 16, key.starts(with: prefix) else { return .continue }
                ids.append(UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                return ids.count < limit ? .continue : .stop
            }
        }
        var pending: [PendingChunk] = []
        for id in ids {
            guard let chunk = try chunk(id, datastore: datastore, in: transaction) else { continue }
            pending.append(PendingChunk(chunkID: id, text: SearchResult.passage(
                title: chunk.title, headingPath: chunk.headingPath, text: chunk.text)))
        }
        return pending
    }

    /// Stores the vectors of a batch embedded with `model` and moves the watermark past
    /// `through` (the batch's last chunk id). Chunks gone meanwhile (their page changed) get
    /// no vector; a model changed meanwhile stores nothing. Returns the vectors stored.
    @discardableResult
    public func putVectors(
        _ vectors: [(chunkID: UInt64, vector: QuantizedVector)], through: UInt64, model: String, datastore: UInt64,
        in transaction: WriteTransaction
    ) throws(SearchError) -> Int {
        guard var state = try vectorState(datastore: datastore, in: transaction), state.model == model else { return 0 }
        var stored = 0
        try storageCall {
            for (id, vector) in vectors {
                let key = ChunkKey(datastore: datastore, chunkID: id)
                guard try transaction.contains(tables.chunkHeads, key) else { continue }
                if state.dimensions == 0 { state.dimensions = vector.dimensions }
                guard vector.dimensions == state.dimensions else {
                    throw SearchError.corruptedIndex(
                        datastore: datastore,
                        detail: "a \(vector.dimensions)-dimension vector for \(state.dimensions)-dimension vectors of \(model)")
                }
                if try transaction.put(vectorTables.vectors, key, vector.storageBytes) { stored += 1 }
            }
            state.count += stored
            state.watermark = max(state.watermark, through &+ 1)
            try transaction.put(vectorTables.state, datastore, state)
        }
        return stored
    }

    /// The stored vector of a chunk, or nil.
    public func vector(chunkID: UInt64, datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> QuantizedVector? {
        try storageCall {
            try transaction.withRawValue(vectorTables.vectors, ChunkKey(datastore: datastore, chunkID: chunkID)) { bytes in
                bytes.flatMap { QuantizedVector(storageBytes: $0) }
            }
        }
    }

    /// The `k` chunks whose vectors are most similar to `query`, best first (ties: lower id
    /// first). An exact scan of the datastore's vectors: about 0.4 KB and 384 multiply-adds per
    /// chunk, read in place from the memory map.
    public func nearestChunks(
        to query: QuantizedVector, datastore: UInt64, k: Int, in transaction: ReadTransaction
    ) throws(SearchError) -> [VectorNeighbour] {
        guard k > 0 else { return [] }
        var best: [VectorNeighbour] = []
        best.reserveCapacity(k + 1)
        let scale = query.scale
        var floor = -Float.infinity
        try storageCall {
            try query.codes.withUnsafeBufferPointer { codes in
                try transaction.forEachRaw(in: vectorTables.vectors, .prefix(datastorePrefix(datastore))) { key, value in
                    guard let similarity = QuantizedVector.similarity(query: codes, scale: scale, stored: value),
                          similarity > floor || best.count < k else { return .continue }
                    let id = UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                    let slot = best.firstIndex { $0.similarity < similarity } ?? best.count
                    best.insert(VectorNeighbour(chunkID: id, similarity: similarity), at: slot)
                    if best.count > k { best.removeLast() }
                    if best.count == k { floor = best[k - 1].similarity }
                    return .continue
                }
            }
        }
        return best
    }

    /// Drops every vector and the vector state of a datastore.
    public func removeAllVectors(datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) {
        try storageCall {
            try transaction.deleteAll(in: vectorTables.vectors, .prefix(datastorePrefix(datastore)))
            try transaction.delete(vectorTables.state, datastore)
        }
    }

    /// Deletes the vectors of removed chunks and counts them out of the state.
    func removeVectors(of chunkIDs: [UInt64], datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) {
        guard var state = try vectorState(datastore: datastore, in: transaction), state.count > 0 else { return }
        var removed = 0
        try storageCall {
            for id in chunkIDs where try transaction.delete(vectorTables.vectors, ChunkKey(datastore: datastore, chunkID: id)) {
                removed += 1
            }
            guard removed > 0 else { return }
            state.count = max(0, state.count - removed)
            try transaction.put(vectorTables.state, datastore, state)
        }
    }
}

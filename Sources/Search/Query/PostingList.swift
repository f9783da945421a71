import Storage

/// One query term's postings, read in a single pass of `MDB_GET_MULTIPLE` batches.
struct PostingList {
    let term: String
    /// Raw ``PostingEntry`` values in chunk-id order.
    var entries: [UInt64] = []
    var idf: Double = 0

    /// Reads the term's list of each generation in turn (see ``PostingGeneration``): in
    /// generation order the lists concatenate to chunk-id order.
    init(
        term: String, datastore: UInt64, generations: Range<UInt32>, table: Table<TermKey, UInt64>, in transaction: ReadTransaction
    ) throws(SearchError) {
        self.term = term
        var entries: [UInt64] = []
        try storageCall {
            for generation in generations {
                let key = TermKey(datastore: datastore, generation: generation, term: term)
                try transaction.forEachValueBatch(in: table, forKey: key) { run, size in
                    guard size == 8 else {
                        throw SearchError.corruptedIndex(datastore: datastore, detail: "posting of \(size) bytes for '\(term)'")
                    }
                    let count = run.count / 8
                    entries.reserveCapacity(entries.count + count)
                    for index in 0..<count {
                        entries.append(UInt64(bigEndian: run.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)))
                    }
                    return .continue
                }
            }
        }
        self.entries = entries
    }
}

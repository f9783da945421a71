import Storage

/// One query term's postings, read in a single pass of `MDB_GET_MULTIPLE` batches.
struct PostingList {
    let term: String
    /// Raw ``PostingEntry`` values in chunk-id order.
    var entries: [UInt64] = []
    var idf: Double = 0

    init(term: String, datastore: UInt64, table: Table<TermKey, UInt64>, in transaction: ReadTransaction) throws(SearchError) {
        self.term = term
        var entries: [UInt64] = []
        try storageCall {
            try transaction.forEachValueBatch(in: table, forKey: TermKey(datastore: datastore, term: term)) { run, size in
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
        self.entries = entries
    }
}

import Storage

extension SearchIndex {
    /// The stored whole text of a page, or nil when the page has none (not indexed, or indexed
    /// by a caller that gave no ``PageUpdate/text``).
    public func pageText(pageID: String, datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> PageText? {
        let key = DocumentKey(datastore: datastore, pageID: pageID)
        return try storageCall {
            guard let head = try transaction.get(tables.documents, key) else { return nil }
            let count = ChunkPieces.count(head: head)
            guard count >= 1 else {
                throw SearchError.corruptedIndex(datastore: datastore, detail: "the text of page '\(pageID)' has no pieces")
            }
            let rest = try (1..<count).map { index in
                guard let piece = try transaction.get(tables.documents, DocumentKey(datastore: datastore, pageID: pageID,
                                                                                    piece: UInt8(index))) else {
                    throw SearchError.corruptedIndex(datastore: datastore,
                                                     detail: "the text of page '\(pageID)' lacks piece \(index) of \(count)")
                }
                return piece
            }
            return try ChunkPieces.join(head: head, rest: rest, as: PageText.self)
        }
    }

    /// Stores a page's encoded text (see ``PreparedPages``), replacing nothing: the caller
    /// deleted the previous one. Appended when it sorts last (a listing brings pages in id
    /// order): an ordinary insert at the end splits the full leaf in half and leaves the left
    /// page half empty for good, so the table would take about a third more pages.
    func putDocument(_ pieces: [[UInt8]], pageID: String, datastore: UInt64, in transaction: WriteTransaction) throws(StorageError) {
        for (index, piece) in pieces.enumerated() {
            try appendOrPut(tables.documents, DocumentKey(datastore: datastore, pageID: pageID, piece: UInt8(index)), piece,
                            in: transaction)
        }
    }

    /// Deletes a page's text with all its pieces; returns whether it had one.
    @discardableResult
    func deleteDocument(pageID: String, datastore: UInt64, in transaction: WriteTransaction) throws(SearchError) -> Bool {
        try storageCall {
            let key = DocumentKey(datastore: datastore, pageID: pageID)
            guard let head = try transaction.get(tables.documents, key) else { return false }
            for index in 1..<max(ChunkPieces.count(head: head), 1) {
                try transaction.delete(tables.documents, DocumentKey(datastore: datastore, pageID: pageID, piece: UInt8(index)))
            }
            try transaction.delete(tables.documents, key)
            return true
        }
    }

    /// The page a chunk belongs to, read from the head of its record alone (the page id is its
    /// first field); nil when there is no such chunk.
    func pageID(ofChunk chunkID: UInt64, datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> String? {
        let key = ChunkKey(datastore: datastore, chunkID: chunkID)
        let fromHead: String?? = try storageCall {
            try transaction.withRawValue(tables.chunkHeads, key) { head -> String?? in
                guard let head else { return .some(nil) }
                guard head.count > 1 else { return nil }
                var reader = ByteReader(UnsafeRawBufferPointer(rebasing: head[1...]))
                // A head too short to hold the whole id (a long id in a short first piece): read it all.
                guard let pageID = try? reader.readPrefixedString() else { return nil }
                return .some(pageID)
            }
        }
        if let fromHead { return fromHead }
        return try readChunk(key, in: transaction)?.pageID
    }
}

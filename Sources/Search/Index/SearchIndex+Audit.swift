import Storage

/// What ``SearchIndex/audit(datastore:in:)`` found.
public struct IndexAudit: Sendable, Equatable {
    /// Records counted in each table for the datastore.
    public var chunks = 0
    public var postings = 0
    public var pageEntries = 0
    /// Pages with a stored ``PageText``, and indexed pages without one (indexed by a caller
    /// that kept no text: not a contradiction).
    public var pageTexts = 0
    public var pagesWithoutText = 0
    /// Statistics as stored, and as recomputed from the chunks.
    public var storedStatistics: IndexStatistics
    public var recomputedStatistics: IndexStatistics
    /// Contradictions, in words; empty when the index is consistent.
    public var problems: [String] = []

    /// True when nothing contradicts anything else.
    public var isConsistent: Bool { problems.isEmpty }
}

extension SearchIndex {
    /// Scans every record of a datastore and checks that postings are exactly those the chunks'
    /// text yields (as removal derives them), that pages and chunks point at each other, that
    /// every stored page text is whole and belongs to a page with chunks, and that the
    /// statistics match. Linear in the index size: for tests, crash checks and
    /// `tributaryctl` diagnostics.
    public func audit(datastore: UInt64, in transaction: ReadTransaction) throws(SearchError) -> IndexAudit {
        let prefix = datastorePrefix(datastore)
        let stored = try statistics(datastore: datastore, in: transaction)
        var recomputed = IndexStatistics(nextChunkID: stored.nextChunkID)
        var audit = IndexAudit(storedStatistics: stored, recomputedStatistics: recomputed)
        let tokenizer = try Tokenizer()
        var counter = ChunkAnalysis.Counter()
        // Postings by vocabulary id of `tokenizer`: no string hashing per posting.
        var expected: Set<PostingRecord> = []
        var chunkPages: [UInt64: String] = [:]
        var pages: Set<String> = []
        try storageCall {
            var pieceProblems: [String] = []
            defer { audit.problems += pieceProblems }
            try forEachChunk(datastore: datastore, in: transaction, problems: &pieceProblems) { chunkID, chunk in
                audit.chunks += 1
                chunkPages[chunkID] = chunk.pageID
                pages.insert(chunk.pageID)
                recomputed.chunkCount += 1
                recomputed.totalTitleLength += chunk.titleLength
                recomputed.totalHeadingLength += chunk.headingLength
                recomputed.totalBodyLength += chunk.bodyLength
                if chunkID >= stored.nextChunkID {
                    audit.problems.append("chunk \(chunkID) is beyond the id counter \(stored.nextChunkID)")
                }
                let analysis = ChunkAnalysis(stored: chunk, tokenizer: tokenizer, counter: &counter)
                if !analysis.hasFieldLengths(of: chunk) {
                    audit.problems.append("chunk \(chunkID) analyses to other field lengths than it was indexed with")
                }
                for (id, entry) in analysis.postings(chunkID: chunkID) {
                    expected.insert(PostingRecord(id: id, raw: entry.raw))
                }
            }
            try transaction.forEach(in: tables.postings, .prefix(prefix)) { key, raw in
                audit.postings += 1
                if expected.remove(PostingRecord(id: tokenizer.termID(ofStem: key.term), raw: raw)) == nil {
                    audit.problems.append("stale posting '\(key.term)' → chunk \(raw >> 24)")
                } else if key.generation != PostingGeneration.of(chunkID: PostingEntry(raw: raw).chunkID) {
                    audit.problems.append("posting '\(key.term)' → chunk \(raw >> 24) is under generation \(key.generation)")
                }
                return .continue
            }
            try transaction.forEach(in: tables.pages, .prefix(prefix)) { key, chunkID in
                audit.pageEntries += 1
                if chunkPages[chunkID] != key.pageID {
                    audit.problems.append("page '\(key.pageID)' lists chunk \(chunkID) it does not own")
                }
                return .continue
            }
        }
        let texts = try auditDocuments(datastore: datastore, pages: pages, in: transaction, problems: &audit.problems)
        audit.pageTexts = texts.count
        audit.pagesWithoutText = pages.subtracting(texts).count
        if audit.chunks > 0, let mismatch = stored.formatMismatch {
            audit.problems.append(mismatch)
        }
        let terms = tokenizer.vocabularyTerms
        for missing in expected.prefix(10) {
            audit.problems.append("missing posting '\(terms[Int(missing.id)])' → chunk \(missing.raw >> 24)")
        }
        if audit.pageEntries != audit.chunks {
            audit.problems.append("\(audit.chunks) chunks but \(audit.pageEntries) page entries")
        }
        recomputed.pageCount = pages.count
        audit.recomputedStatistics = recomputed
        if !stored.sameContent(as: recomputed) {
            audit.problems.append("statistics \(stored) differ from recomputed \(recomputed)")
        }
        return audit
    }
}

extension SearchIndex {
    /// Checks every stored page text of a datastore: whole (all its pieces, decodable), of a
    /// page that has chunks, and with an outline inside its text. Returns the pages that have one.
    private func auditDocuments(
        datastore: UInt64, pages: Set<String>, in transaction: ReadTransaction, problems: inout [String]
    ) throws(SearchError) -> Set<String> {
        var found: Set<String> = []
        var current: (pageID: String, head: [UInt8], rest: [[UInt8]])?
        func finish() {
            guard let text = current else { return }
            current = nil
            found.insert(text.pageID)
            guard ChunkPieces.count(head: text.head) == text.rest.count + 1 else {
                problems.append("the text of page '\(text.pageID)' has \(text.rest.count + 1) of its "
                                + "\(ChunkPieces.count(head: text.head)) pieces")
                return
            }
            guard let decoded = try? ChunkPieces.join(head: text.head, rest: text.rest, as: PageText.self) else {
                problems.append("the text of page '\(text.pageID)' cannot be decoded")
                return
            }
            if !pages.contains(text.pageID) {
                problems.append("page '\(text.pageID)' has a stored text but no chunks")
            }
            let length = decoded.characterCount
            if let heading = decoded.outline.first(where: { $0.offset < 0 || $0.length < 0 || $0.offset + $0.length > length }) {
                problems.append("the outline of page '\(text.pageID)' points past its text (heading '\(heading.anchor)')")
            }
        }
        try storageCall {
            try transaction.forEachRaw(in: tables.documents, .prefix(datastorePrefix(datastore))) { key, value in
                var reader = ByteReader(key)
                let documentKey = try DocumentKey(from: &reader)
                if documentKey.piece == 0 {
                    finish()
                    current = (documentKey.pageID, Array(value), [])
                } else if current?.pageID == documentKey.pageID, Int(documentKey.piece) == current!.rest.count + 1 {
                    current!.rest.append(Array(value))
                } else {
                    problems.append("stray piece \(documentKey.piece) of the text of page '\(documentKey.pageID)'")
                }
                return .continue
            }
        }
        finish()
        return found
    }

    /// Every chunk of a datastore in id order, put back together from its pieces; pieces that
    /// are missing or belong to no head are reported in `problems`.
    private func forEachChunk(
        datastore: UInt64,
        in transaction: ReadTransaction,
        problems: inout [String],
        _ body: (UInt64, StoredChunk) throws -> Void
    ) throws {
        var head: (id: UInt64, bytes: [UInt8], rest: [[UInt8]])?
        func finish() throws {
            guard let current = head else { return }
            head = nil
            let count = ChunkPieces.count(head: current.bytes)
            guard count == current.rest.count + 1 else {
                problems.append("chunk \(current.id) has \(current.rest.count + 1) of its \(count) pieces")
                return
            }
            try body(current.id, try ChunkPieces.join(head: current.bytes, rest: current.rest))
        }
        try transaction.forEachRaw(in: tables.chunkHeads, .prefix(datastorePrefix(datastore))) { key, value in
            var reader = ByteReader(key)
            let chunkID = try ChunkKey(from: &reader).chunkID
            if reader.remainingCount == 0 {
                try finish()
                head = (chunkID, Array(value), [])
            } else if head?.id == chunkID, try reader.read(UInt8.self) == UInt8(head!.rest.count + 1) {
                head!.rest.append(Array(value))
            } else {
                problems.append("stray piece of chunk \(chunkID)")
            }
            return .continue
        }
        try finish()
    }
}

private struct PostingRecord: Hashable {
    var id: Int32
    var raw: UInt64
}

import Confluence
import Foundation
import InputLimits
import Search
import Storage

/// Search and page reads: read transactions only, callable from any task.
extension DatastoreQueries {
    /// Queries and questions longer than this many UTF-8 bytes are refused.
    static let maxQueryBytes = Limits.queryBytes.upperBound
    /// The most results one search returns.
    static let maxSearchLimit = 100
    /// The longest page id the index takes (Search's limit for its keys).
    static let maxPageIDBytes = 400

    /// The best passages for `query` in the named datastores (none named: every datastore
    /// with content), in any state once they have content, merged by score. `filters` are
    /// applied while each index gathers its candidates, so `limit` results come back whenever
    /// that many pass. Unknown names fail with ``EngineError/noSuchDatastore(_:)``.
    ///
    /// With `vector` (the query's embedding by `model`), a datastore whose vectors come from
    /// that model is searched hybrid (BM25F and k-NN fused by rank); when any is, the others'
    /// results are scored by rank the same way, so merged results compare.
    func search(
        datastores names: [String], query: String, limit: Int, filters: SearchFilters = SearchFilters(),
        vector: (model: String, vector: QuantizedVector)? = nil
    ) throws(EngineError) -> [EngineSearchHit] {
        guard (1...Self.maxSearchLimit).contains(limit) else {
            throw .invalid(field: "limit", message: "must be from 1 to \(Self.maxSearchLimit)")
        }
        guard query.utf8.count <= Self.maxQueryBytes else {
            throw .invalid(field: "query", message: "is longer than \(Self.maxQueryBytes) bytes")
        }
        return try engineStorage {
            try tokenizers.withTokenizer { tokenizer in
                try store.read { txn in
                    try hits(names, query: query, limit: limit, filters: filters, vector: vector, tokenizer: tokenizer, txn)
                }
            }
        }
    }

    /// ``search(datastores:query:limit:filters:vector:)`` inside one read transaction.
    private func hits(
        _ names: [String], query: String, limit: Int, filters: SearchFilters,
        vector: (model: String, vector: QuantizedVector)?, tokenizer: Tokenizer, _ txn: ReadTransaction
    ) throws -> [EngineSearchHit] {
        var options = SearchOptions()
        options.limit = limit
        options.maxResultsPerPage = 2
        var found: [(datastore: (id: UInt64, name: String), result: SearchResult)] = []
        var fused = false
        var lexicalOnly: [Range<Int>] = []
        for datastore in try searchTargets(names, txn) {
            let lookups = lookups
            let predicate: PagePredicate? = filters.isEmpty ? nil : { pageID in
                // An attachment passes when its parent page does.
                let pageID = try AttachmentEntry.attachmentId(ofDocument: pageID)
                    .flatMap { try lookups.attachment(txn, datastore: datastore.id, id: $0)?.pageId } ?? pageID
                guard let entry = try lookups.page(txn, datastore: datastore.id, pageId: pageID) else { return false }
                return filters.accepts(entry)
            }
            if let vector, try index.vectorState(datastore: datastore.id, in: txn)?.model == vector.model {
                let results = try index.hybridSearch(query, vector: vector.vector, datastore: datastore.id,
                                                     options: options, in: txn, tokenizer: tokenizer, filter: predicate)
                fused = true
                found += results.map { (datastore: datastore, result: $0) }
            } else {
                let results = try index.search(query, datastore: datastore.id, options: options, in: txn,
                                               tokenizer: tokenizer, filter: predicate)
                lexicalOnly.append(found.count..<(found.count + results.count))
                found += results.map { (datastore: datastore, result: $0) }
            }
        }
        if fused {
            for range in lexicalOnly {
                for (rank, index) in range.enumerated() {
                    found[index].result.score = ReciprocalRankFusion.Hybrid.lexicalOnlyScore(rank: rank)
                }
            }
        }
        // Merged by score; ties keep the order of the datastores, then of the ranks.
        let merged = found.enumerated().sorted { lhs, rhs in
            lhs.element.result.score > rhs.element.result.score
                || (lhs.element.result.score == rhs.element.result.score && lhs.offset < rhs.offset)
        }.prefix(limit)
        var records: [UInt64: DatastoreRecord] = [:]
        return try merged.map { _, hit in
            let id = hit.datastore.id
            if records[id] == nil { records[id] = try lookups.record(txn, id) }
            if let attachmentId = AttachmentEntry.attachmentId(ofDocument: hit.result.pageID) {
                return try attachmentHit(hit.result, attachmentId: attachmentId, datastore: (id, hit.datastore.name),
                                         record: records[id], txn)
            }
            let entry = try lookups.page(txn, datastore: id, pageId: hit.result.pageID)
            return Self.hit(hit.result, datastore: hit.datastore.name, record: records[id], entry: entry)
        }
    }

    /// A page's indexed Markdown and outline with its current metadata. `reference` is a page
    /// id or a URL of the page (see ``PageReference``). A page the datastore does not hold in
    /// its index fails with ``EngineError/noSuchPage(datastore:pageId:)``.
    func page(datastore name: String, page reference: String) throws(EngineError) -> EnginePage {
        let id = try identifier(of: name)
        let page: EnginePage? = try engineStorage {
            try store.read { txn in
                let record = try datastores.record(txn, id)
                if case .id(let documentId) = PageReference(reference), let attachmentId = AttachmentEntry.attachmentId(ofDocument: documentId) {
                    return try attachmentPage(attachmentId, datastore: (id, name), record: record, txn)
                }
                guard let entry = try manifestEntry(PageReference(reference), datastore: id, record: record, txn),
                      let text = try index.pageText(pageID: entry.pageId, datastore: id, in: txn)
                else { return nil }
                return EnginePage(
                    datastore: name, pageId: entry.pageId, title: entry.title, url: Self.pageURL(record: record, entry: entry) ?? "",
                    space: entry.spaceKey, labels: entry.labels ?? [], version: entry.versionIndexed ?? entry.versionSeen,
                    lastModified: entry.lastModified, text: text)
            }
        }
        guard let page else { throw .noSuchPage(datastore: name, pageId: String(reference.prefix(200))) }
        return page
    }

    /// Whether any datastore a search of `names` covers has vectors of `model` (so the query
    /// is worth embedding).
    func hasVectors(datastores names: [String], model: String) throws(EngineError) -> Bool {
        try engineStorage {
            try store.read { txn in
                try searchTargets(names, txn).contains { target in
                    guard let state = try index.vectorState(datastore: target.id, in: txn) else { return false }
                    return state.model == model && state.count > 0
                }
            }
        }
    }

    // MARK: Internals

    /// The datastores a search covers: the named ones (each once, in the order given), or
    /// every datastore whose index has content.
    private func searchTargets(_ names: [String], _ txn: ReadTransaction) throws -> [(id: UInt64, name: String)] {
        guard !names.isEmpty else {
            return try datastores.all(txn).filter { try index.statistics(datastore: $0.id, in: txn).chunkCount > 0 }
        }
        var seen: Set<String> = []
        return try names.filter { seen.insert($0).inserted }.map { name in
            guard let id = try datastores.identifier(txn, named: name) else { throw EngineError.noSuchDatastore(name) }
            return (id, name)
        }
    }

    /// The manifest entry a reference names: by id, or by the web URL the page is cited with.
    private func manifestEntry(
        _ reference: PageReference, datastore: UInt64, record: DatastoreRecord?, _ txn: ReadTransaction
    ) throws -> ManifestEntry? {
        switch reference {
        case .id(let pageId):
            // Longer ids cannot be indexed (nor be LMDB keys): no such page.
            guard pageId.utf8.count <= Self.maxPageIDBytes else { return nil }
            return try manifest.page(txn, datastore: datastore, pageId: pageId)
        case .webURL(let url):
            // A URL with no id in it (Data Center's /display/SPACE/Title): compare with every
            // page's cited URL. Rare, so a scan of the datastore's manifest is fine.
            let wanted = Self.comparable(url)
            var found: ManifestEntry?
            try manifest.forEach(txn, datastore: datastore) { entry in
                guard let webui = entry.webui, entry.versionIndexed != nil else { return .continue }
                let cited = Self.pageURL(record: record, entry: entry) ?? webui
                if Self.comparable(cited) == wanted || Self.comparable(webui) == wanted {
                    found = entry
                    return .stop
                }
                return .continue
            }
            return found
        }
    }

    /// A URL or path with percent escapes and `+` decoded, so two spellings of one address match.
    private static func comparable(_ url: String) -> String {
        let spaced = url.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    private static func hit(_ result: SearchResult, datastore: String, record: DatastoreRecord?, entry: ManifestEntry?) -> EngineSearchHit {
        var url = pageURL(record: record, entry: entry) ?? result.urlHint
        if !result.anchor.isEmpty, !url.isEmpty { url += "#" + result.anchor }
        return EngineSearchHit(
            datastore: datastore, result: result, url: url, space: entry?.spaceKey, labels: entry?.labels ?? [],
            lastModified: entry?.lastModified, version: entry?.versionIndexed, contentType: entry?.contentType)
    }
}

// MARK: Attachments

extension DatastoreQueries {
    /// A passage of an attachment: cited with the attachment's download URL (`#page=N` for a
    /// PDF page) and its parent page's URL and metadata.
    func attachmentHit(_ result: SearchResult, attachmentId: String, datastore: (id: UInt64, name: String),
                       record: DatastoreRecord?, _ txn: ReadTransaction) throws -> EngineSearchHit {
        let attachment = try lookups.attachment(txn, datastore: datastore.id, id: attachmentId)
        let page = try attachment.flatMap { try lookups.page(txn, datastore: datastore.id, pageId: $0.pageId) }
        let pageNumber = AttachmentDocument.pageNumber(ofAnchor: result.anchor)
        var url = result.urlHint
        if let path = attachment?.downloadPath, let site = record?.site { url = AttachmentSweep.downloadURL(path, site: site) }
        if let pageNumber, !url.isEmpty { url += "#page=\(pageNumber)" }
        let citation = AttachmentHit(
            id: attachmentId, title: attachment?.title ?? result.title, url: url, mediaType: attachment?.mediaType,
            pageNumber: pageNumber, pageId: attachment?.pageId ?? "", pageTitle: page?.title ?? "")
        return EngineSearchHit(
            datastore: datastore.name, result: result, url: Self.pageURL(record: record, entry: page) ?? "", space: page?.spaceKey,
            labels: page?.labels ?? [], lastModified: attachment?.lastModified, version: attachment?.versionIndexed,
            attachment: citation)
    }

    /// An attachment's indexed text as a page (`attachment:ID`, the id its search hits give):
    /// its file name, download URL, and its parent page's space and labels.
    func attachmentPage(_ attachmentId: String, datastore: (id: UInt64, name: String), record: DatastoreRecord?,
                        _ txn: ReadTransaction) throws -> EnginePage? {
        guard let attachment = try attachments.attachment(txn, datastore: datastore.id, id: attachmentId),
              let text = try index.pageText(pageID: attachment.documentId, datastore: datastore.id, in: txn) else { return nil }
        let parent = try manifest.page(txn, datastore: datastore.id, pageId: attachment.pageId)
        let url = attachment.downloadPath.flatMap { path in record?.site.map { AttachmentSweep.downloadURL(path, site: $0) } } ?? ""
        return EnginePage(datastore: datastore.name, pageId: attachment.documentId, title: attachment.title, url: url,
                          space: parent?.spaceKey ?? "", labels: parent?.labels ?? [],
                          version: attachment.versionIndexed ?? attachment.version, lastModified: attachment.lastModified, text: text)
    }

    /// A datastore's attachment counts; nil when it indexes no attachments and holds none.
    func attachmentCounts(_ txn: ReadTransaction, record: DatastoreRecord) throws -> AttachmentCounts? {
        let sweeping: Bool
        switch record.state {
        case .syncingMetadata, .processing, .paused: sweeping = true
        case .ready, .failed: sweeping = false
        }
        let counts = try attachments.status(txn, datastore: record.id, sweepingCycle: sweeping ? record.cycle : nil)
        let holdsAny = counts.indexed + counts.failed + counts.skipped.values.reduce(0, +) > 0
        guard holdsAny || !record.configuration.content.attachmentFormats.isEmpty else { return nil }
        return AttachmentCounts(indexed: counts.indexed, skippedByReason: counts.skipped, failed: counts.failed, pending: counts.pending)
    }
}

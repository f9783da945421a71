import Storage

/// The manifest: one entry per page a datastore has seen, the pending set and the page
/// counts, kept in step in the caller's transaction.
struct ManifestRepository: Sendable {
    let tables: EngineTables

    func page(_ txn: ReadTransaction, datastore: UInt64, pageId: String) throws -> ManifestEntry? {
        try tables.page(txn, datastore: datastore, pageId: pageId)
    }

    /// Stores an entry, adjusting the counts and the pending set.
    func put(_ txn: WriteTransaction, datastore: UInt64, old: ManifestEntry?, new: ManifestEntry) throws {
        try tables.putPage(txn, datastore: datastore, old: old, new: new)
    }

    func counts(_ txn: ReadTransaction, datastore: UInt64) throws -> PageCounts {
        PageCounts(rows: try tables.counts(txn, datastore: datastore).map { ($0.key, $0.value) })
    }

    /// Whether the datastore has an entry for the page.
    func contains(_ txn: ReadTransaction, datastore: UInt64, pageId: String) throws -> Bool {
        try txn.contains(tables.pages, PageRef(datastore: datastore, pageId: pageId))
    }

    /// Calls `body` with each entry of a datastore in page-id order, from the first after
    /// `after` (all when nil), until it returns `.stop`. A whole-manifest scan passes every
    /// entry through the map: it keeps only a slice of it resident.
    func forEach(_ txn: ReadTransaction, datastore: UInt64, after: String? = nil,
                 _ body: (ManifestEntry) throws -> ScanControl) throws {
        let bounds: KeyBounds<PageRef> = after.map { .from(PageRef(datastore: datastore, pageId: $0)) }
            ?? .prefix(PageRef.prefix(datastore))
        var visited = 0
        try txn.forEach(in: tables.pages, bounds) { key, record in
            guard key.datastore == datastore else { return .stop }
            if key.pageId == after { return .continue }
            visited += 1
            if visited % Self.releaseEvery == 0 { txn.releaseResidentMapPages() }
            return try body(record.value)
        }
    }

    /// Entries visited between two releases of the map from the resident set (see
    /// ``ReadTransaction/releaseResidentMapPages()``), also by writers that walk many entries:
    /// a scan of 100,000 pages then costs no more memory than one of 256. Few, because the
    /// leaves of a B-tree written over many transactions lie all over the file, and the kernel
    /// maps 16 neighbouring pages with each one faulted in.
    static let releaseEvery = 256

    /// Up to `limit` pending page ids of a datastore, in page-id order.
    func pendingIDs(_ txn: ReadTransaction, datastore: UInt64, limit: Int) throws -> [String] {
        var ids: [String] = []
        try txn.forEach(in: tables.pending, .prefix(PageRef.prefix(datastore))) { key, _ in
            ids.append(key.pageId)
            return ids.count >= limit ? .stop : .continue
        }
        return ids
    }

    /// Entries of a datastore that `include` accepts, in page-id order.
    func entries(_ txn: ReadTransaction, datastore: UInt64, where include: (ManifestEntry) -> Bool) throws -> [ManifestEntry] {
        var result: [ManifestEntry] = []
        try forEach(txn, datastore: datastore) { entry in
            if include(entry) { result.append(entry) }
            return .continue
        }
        return result
    }

    /// Removes every entry, pending mark and count of a datastore.
    func removeAll(_ txn: WriteTransaction, datastore: UInt64) throws {
        try txn.deleteAll(in: tables.pages, .prefix(PageRef.prefix(datastore)))
        try txn.deleteAll(in: tables.pending, .prefix(PageRef.prefix(datastore)))
        try txn.deleteAll(in: tables.counts, .prefix(datastoreKeyPrefix(datastore)))
    }
}

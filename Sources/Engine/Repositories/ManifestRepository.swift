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

    /// Entries of a datastore that `include` accepts, in page-id order.
    func entries(_ txn: ReadTransaction, datastore: UInt64, where include: (ManifestEntry) -> Bool) throws -> [ManifestEntry] {
        var result: [ManifestEntry] = []
        try txn.forEach(in: tables.pages, .prefix(PageRef.prefix(datastore))) { _, coded in
            if include(coded.value) { result.append(coded.value) }
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

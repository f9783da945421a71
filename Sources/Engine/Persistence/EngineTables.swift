import Storage

/// (datastore, page id): the manifest's key, prefix-scannable by datastore.
struct PageRef: StorageRecord, Equatable, Hashable {
    var datastore: UInt64
    var pageId: String

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.appendRemainder(pageId.utf8)
    }

    init(datastore: UInt64, pageId: String) {
        self.datastore = datastore
        self.pageId = pageId
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        pageId = reader.readRemainderString()
    }

    /// The key prefix of every page of `datastore`.
    static func prefix(_ datastore: UInt64) -> [UInt8] {
        datastoreKeyPrefix(datastore)
    }
}

/// The engine's tables. A value of handles: cheap to copy, `Sendable`.
struct EngineTables: Sendable {
    let datastores: Table<UInt64, JSONCoded<DatastoreRecord>>
    let names: Table<String, UInt64>
    /// Datastore id → its secret as the engine's ``SecretSealer`` stored it (sealed, or UTF-8).
    let secrets: Table<UInt64, [UInt8]>
    let pages: Table<PageRef, ManifestRecord>
    /// Pages waiting for processing in the current cycle.
    let pending: Table<PageRef, Empty>
    let counts: Table<DatastoreNameKey, Int64>
    let counters: Table<String, Int64>
    /// Site origin → back-off deadline (ms), so a restart loop cannot hammer a throttled site.
    let siteBackoff: Table<String, Int64>
    /// Site origin → the request rate its server was seen to allow (milli-requests per second),
    /// so a restart paces right from its first request.
    let siteRate: Table<String, Int64>

    init(store: Store) throws(StorageError) {
        datastores = try store.openTable("datastores")
        names = try store.openTable("datastore_names")
        secrets = try store.openTable("secrets")
        pages = try store.openTable("pages")
        pending = try store.openTable("pending_pages")
        counts = try store.openTable("datastore_counts")
        counters = try store.openTable("counters")
        siteBackoff = try store.openTable("site_backoff")
        siteRate = try store.openTable("site_rate")
    }

    /// Stores a manifest entry and keeps the counts and the pending set in step with it.
    func putPage(_ txn: WriteTransaction, datastore: UInt64, old: ManifestEntry?, new: ManifestEntry) throws {
        let ref = PageRef(datastore: datastore, pageId: new.pageId)
        try txn.put(pages, ref, ManifestRecord(new))
        try adjustCounts(txn, datastore: datastore, old: old, by: -1)
        try adjustCounts(txn, datastore: datastore, old: new, by: 1)
        if new.disposition == .pending {
            if old?.disposition != .pending { try txn.put(pending, ref, Empty()) }
        } else if old?.disposition == .pending {
            try txn.delete(pending, ref)
        }
    }

    func page(_ txn: ReadTransaction, datastore: UInt64, pageId: String) throws -> ManifestEntry? {
        try txn.get(pages, PageRef(datastore: datastore, pageId: pageId))?.value
    }

    private func adjustCounts(_ txn: WriteTransaction, datastore: UInt64, old entry: ManifestEntry?, by delta: Int64) throws {
        guard let entry else { return }
        for (name, _) in PageCounts.rows(of: entry) {
            let key = DatastoreNameKey(datastore: datastore, name: name)
            let value = (try txn.get(counts, key) ?? 0) + delta
            if value == 0 { try txn.delete(counts, key) } else { try txn.put(counts, key, value) }
        }
    }

    /// The part of a reason before the first colon ("excluded_by_label:template" → "excluded_by_label").
    static func reasonCode(_ reason: String) -> String {
        PageCounts.reasonCode(reason)
    }

    /// Every count of a datastore by name.
    func counts(_ txn: ReadTransaction, datastore: UInt64) throws -> [String: Int] {
        var result: [String: Int] = [:]
        try txn.forEach(in: counts, .prefix(datastoreKeyPrefix(datastore))) { key, value in
            result[key.name] = Int(value)
            return .continue
        }
        return result
    }

    func nextIdentifier(_ txn: WriteTransaction, _ name: String) throws -> UInt64 {
        let next = (try txn.get(counters, name) ?? 0) + 1
        try txn.put(counters, name, next)
        return UInt64(next)
    }
}

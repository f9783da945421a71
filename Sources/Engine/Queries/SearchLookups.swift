import Storage

/// What a search reads besides the index to cite its results (each datastore's record, the
/// pages and attachments of its hits), decoded once per committed state of the store rather
/// than on every query: these records are JSON, and decoding them cost more than ranking a
/// small datastore. See ``SnapshotCache`` for why a cached value is always the current one.
struct SearchLookups: Sendable {
    /// A page or attachment id within a datastore.
    struct RecordKey: Hashable, Sendable {
        let datastore: UInt64
        let id: String
    }

    private let datastores: DatastoreRepository
    private let manifest: ManifestRepository
    private let attachments: AttachmentRepository
    private let records = SnapshotCache<UInt64, DatastoreRecord>(capacity: 256)
    private let pages = SnapshotCache<RecordKey, ManifestEntry>(capacity: 8192)
    private let attachmentEntries = SnapshotCache<RecordKey, AttachmentEntry>(capacity: 2048)

    init(_ parts: EngineParts) {
        datastores = parts.datastores
        manifest = parts.manifest
        attachments = parts.attachments
    }

    /// The datastore's record, as `DatastoreRepository.record(_:_:)` reads it.
    func record(_ txn: ReadTransaction, _ id: UInt64) throws -> DatastoreRecord? {
        try records.value(for: id, in: txn) { try datastores.record(txn, id) }
    }

    /// A page's manifest entry, as `ManifestRepository.page(_:datastore:pageId:)` reads it.
    func page(_ txn: ReadTransaction, datastore: UInt64, pageId: String) throws -> ManifestEntry? {
        try pages.value(for: RecordKey(datastore: datastore, id: pageId), in: txn) {
            try manifest.page(txn, datastore: datastore, pageId: pageId)
        }
    }

    /// An attachment's entry, as `AttachmentRepository.attachment(_:datastore:id:)` reads it.
    func attachment(_ txn: ReadTransaction, datastore: UInt64, id: String) throws -> AttachmentEntry? {
        try attachmentEntries.value(for: RecordKey(datastore: datastore, id: id), in: txn) {
            try attachments.attachment(txn, datastore: datastore, id: id)
        }
    }
}

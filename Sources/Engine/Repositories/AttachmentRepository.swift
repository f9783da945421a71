import Storage

/// (datastore, page id, attachment id): an attachment under its page, so a page's attachments
/// are one prefix scan.
struct AttachmentRef: StorageRecord, Equatable, Hashable {
    var datastore: UInt64
    var pageId: String
    var attachmentId: String

    init(datastore: UInt64, pageId: String, attachmentId: String) {
        self.datastore = datastore
        self.pageId = pageId
        self.attachmentId = attachmentId
    }

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.appendTerminated(pageId)
        writer.appendRemainder(attachmentId.utf8)
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        pageId = try reader.readTerminated()
        attachmentId = reader.readRemainderString()
    }

    /// The key prefix of every attachment of one page.
    static func prefix(_ datastore: UInt64, pageId: String) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(datastore)
        writer.appendTerminated(pageId)
        return writer.bytes
    }
}

/// What became of an attachment in the index.
public enum AttachmentDisposition: String, Sendable, Equatable, Codable, CaseIterable {
    case indexed
    /// Recorded, not indexed, by decision (``AttachmentEntry/reason``: too_large, type_not_indexed, encrypted, …).
    case skipped
    /// Download or extraction failed; tried again next cycle.
    case failed
}

/// One attachment of an indexed page, as last seen and as indexed.
public struct AttachmentEntry: Sendable, Equatable, Codable {
    public var id: String
    public var pageId: String
    public var title: String
    public var mediaType: String?
    public var fileSize: Int?
    /// The version the last listing saw.
    public var version: Int
    /// The version whose text is in the index (nil: none).
    public var versionIndexed: Int?
    public var disposition: AttachmentDisposition
    /// Reason code when not indexed ("too_large", "type_not_indexed", "encrypted", …).
    public var reason: String?
    /// A sentence for `explain`; never file contents.
    public var message: String?
    /// The download path relative to the site's base URL.
    public var downloadPath: String?
    public var chunks: Int
    public var tokens: Int
    /// When this version was made (ms since 1970), when the listing said.
    public var lastModified: Int64?
    /// The limits a skip was decided under: a skip is reconsidered when they change.
    public var decidedUnder: String?

    /// The id the attachment's text has in the search index (page ids are numeric: no clash).
    public var documentId: String { AttachmentEntry.documentId(id) }

    public static let documentPrefix = "attachment:"
    public static func documentId(_ attachmentId: String) -> String { documentPrefix + attachmentId }
    /// The attachment id of an index document id, nil for a page's.
    public static func attachmentId(ofDocument documentId: String) -> String? {
        documentId.hasPrefix(documentPrefix) ? String(documentId.dropFirst(documentPrefix.count)) : nil
    }
}

/// Which cycle's attachment sweep a datastore is in, and how far it got (page-id order).
struct AttachmentSweepState: Sendable, Equatable, Codable {
    var cycle: UInt64
    /// The last page whose attachments were reconciled this cycle; nil: none yet.
    var after: String?
    var done: Bool
}

/// The attachments of every datastore, their id lookup (for citing a search hit) and each
/// datastore's sweep position, kept in step in the caller's transaction.
struct AttachmentRepository: Sendable {
    let entries: Table<AttachmentRef, JSONCoded<AttachmentEntry>>
    /// (datastore, attachment id) → its page id.
    let byId: Table<DatastoreNameKey, String>
    let sweeps: Table<UInt64, JSONCoded<AttachmentSweepState>>

    init(store: Store) throws(StorageError) {
        entries = try store.openTable("attachments")
        byId = try store.openTable("attachment_ids")
        sweeps = try store.openTable("attachment_sweeps")
    }

    func attachments(_ txn: ReadTransaction, datastore: UInt64, pageId: String) throws -> [AttachmentEntry] {
        var result: [AttachmentEntry] = []
        try txn.forEach(in: entries, .prefix(AttachmentRef.prefix(datastore, pageId: pageId))) { _, coded in
            result.append(coded.value)
            return .continue
        }
        return result
    }

    /// The attachment with this id, wherever it is attached.
    func attachment(_ txn: ReadTransaction, datastore: UInt64, id: String) throws -> AttachmentEntry? {
        guard let pageId = try txn.get(byId, DatastoreNameKey(datastore: datastore, name: id)) else { return nil }
        return try txn.get(entries, AttachmentRef(datastore: datastore, pageId: pageId, attachmentId: id))?.value
    }

    func put(_ txn: WriteTransaction, datastore: UInt64, _ entry: AttachmentEntry) throws {
        try txn.put(entries, AttachmentRef(datastore: datastore, pageId: entry.pageId, attachmentId: entry.id), JSONCoded(entry))
        try txn.put(byId, DatastoreNameKey(datastore: datastore, name: entry.id), entry.pageId)
    }

    func remove(_ txn: WriteTransaction, datastore: UInt64, _ entry: AttachmentEntry) throws {
        _ = try txn.delete(entries, AttachmentRef(datastore: datastore, pageId: entry.pageId, attachmentId: entry.id))
        // Only when it still points here: an attachment moved to another page keeps its lookup.
        let key = DatastoreNameKey(datastore: datastore, name: entry.id)
        if try txn.get(byId, key) == entry.pageId { _ = try txn.delete(byId, key) }
    }

    /// Counts of a datastore's attachments: indexed, skipped by reason, failed (as last
    /// reconciled), and pending: those whose page this cycle's sweep has not reached yet.
    /// `sweepingCycle`: the datastore's cycle while it is in one (nil when it is at rest).
    func status(_ txn: ReadTransaction, datastore: UInt64, sweepingCycle: UInt64?)
        throws -> (indexed: Int, skipped: [String: Int], failed: Int, pending: Int) {
        var indexed = 0, failed = 0, pending = 0
        var skipped: [String: Int] = [:]
        // The sweep goes in page-id byte order (the manifest's key order); `after` is the last page it reconciled.
        let sweep = try self.sweep(txn, datastore: datastore)
        let reached: (String) -> Bool
        switch (sweepingCycle, sweep) {
        case (nil, _): reached = { _ in true }
        case (let cycle?, let state?) where state.cycle == cycle:
            reached = state.done ? { _ in true } : { pageId in state.after.map { !$0.utf8.lexicographicallyPrecedes(pageId.utf8) } ?? false }
        default: reached = { _ in false }  // this cycle's sweep has not begun
        }
        try txn.forEach(in: entries, .prefix(datastoreKeyPrefix(datastore))) { _, coded in
            switch coded.value.disposition {
            case .indexed: indexed += 1
            case .failed: failed += 1
            case .skipped: skipped[coded.value.reason ?? "skipped", default: 0] += 1
            }
            if !reached(coded.value.pageId) { pending += 1 }
            return .continue
        }
        return (indexed, skipped, failed, pending)
    }

    func sweep(_ txn: ReadTransaction, datastore: UInt64) throws -> AttachmentSweepState? {
        try txn.get(sweeps, datastore)?.value
    }

    func putSweep(_ txn: WriteTransaction, datastore: UInt64, _ state: AttachmentSweepState) throws {
        try txn.put(sweeps, datastore, JSONCoded(state))
    }

    /// Removes every attachment record of a datastore (its index documents go with the index's own removal).
    func removeAll(_ txn: WriteTransaction, datastore: UInt64) throws {
        try txn.deleteAll(in: entries, .prefix(datastoreKeyPrefix(datastore)))
        try txn.deleteAll(in: byId, .prefix(datastoreKeyPrefix(datastore)))
        _ = try txn.delete(sweeps, datastore)
    }
}

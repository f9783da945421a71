import Storage

/// (datastore, page id, version): the unit charged exactly once.
struct ChargeKey: StorageRecord, Equatable {
    var datastore: UInt64
    var pageId: String
    var version: UInt64

    init(datastore: UInt64, pageId: String, version: UInt64) {
        self.datastore = datastore
        self.pageId = pageId
        self.version = version
    }

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.appendTerminated(pageId)
        writer.append(version)
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        pageId = try reader.readTerminated()
        version = try reader.read()
    }
}

/// (due time, job id): the queue's order.
struct JobKey: StorageRecord, Equatable {
    var due: Int64
    var id: UInt64

    init(due: Int64, id: UInt64) {
        self.due = due
        self.id = id
    }

    func encode(to writer: inout ByteWriter) {
        writer.appendOrdered(due)
        writer.append(id)
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        due = try reader.readOrdered()
        id = try reader.read()
    }
}

/// (datastore, name): a per-datastore slot such as a job kind (at most one queued job of a kind
/// per datastore) or a page counter. Prefix-scannable by datastore.
struct DatastoreNameKey: StorageRecord, Equatable, Hashable {
    var datastore: UInt64
    var name: String

    init(datastore: UInt64, name: String) {
        self.datastore = datastore
        self.name = name
    }

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.appendRemainder(name.utf8)
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        name = reader.readRemainderString()
    }
}

/// The key prefix of every record of `datastore` in tables keyed by (datastore, …).
func datastoreKeyPrefix(_ datastore: UInt64) -> [UInt8] {
    withUnsafeBytes(of: datastore.bigEndian) { Array($0) }
}

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

/// (datastore, job kind): at most one queued job of a kind per datastore.
struct JobSlotKey: StorageRecord, Equatable {
    var datastore: UInt64
    var kind: String

    init(datastore: UInt64, kind: String) {
        self.datastore = datastore
        self.kind = kind
    }

    func encode(to writer: inout ByteWriter) {
        writer.append(datastore)
        writer.appendRemainder(kind.utf8)
    }

    init(from reader: inout ByteReader) throws(StorageError) {
        datastore = try reader.read()
        kind = reader.readRemainderString()
    }
}

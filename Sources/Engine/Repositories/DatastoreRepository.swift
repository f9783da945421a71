import Storage

/// Datastore records, their names and their stored secrets. Every method works inside the
/// caller's transaction.
struct DatastoreRepository: Sendable {
    let tables: EngineTables
    /// Seals secrets before they are stored (secrets rest sealed when a key is configured).
    let sealer: any SecretSealer

    func record(_ txn: ReadTransaction, _ id: UInt64) throws -> DatastoreRecord? {
        try txn.get(tables.datastores, id)?.value
    }

    func put(_ txn: WriteTransaction, _ record: DatastoreRecord) throws {
        try txn.put(tables.datastores, record.id, JSONCoded(record))
    }

    func identifier(_ txn: ReadTransaction, named name: String) throws -> UInt64? {
        try txn.get(tables.names, name)
    }

    /// Every datastore's id and name, by name.
    func all(_ txn: ReadTransaction) throws -> [(id: UInt64, name: String)] {
        var result: [(id: UInt64, name: String)] = []
        try txn.forEach(in: tables.names) { name, id in
            result.append((id, name))
            return .continue
        }
        return result
    }

    /// Allocates an id and stores the name, the secret and `make(id)`'s record.
    func insert(_ txn: WriteTransaction, name: String, secret: String?, _ make: (UInt64) -> DatastoreRecord) throws -> DatastoreRecord {
        let id = try tables.nextIdentifier(txn, "datastores.sequence")
        let record = make(id)
        try txn.put(tables.names, name, id)
        if let secret { try txn.put(tables.secrets, id, try sealer.seal(secret, datastore: id)) }
        try put(txn, record)
        return record
    }

    func setSecret(_ txn: WriteTransaction, _ id: UInt64, _ secret: String) throws {
        try txn.put(tables.secrets, id, try sealer.seal(secret, datastore: id))
    }

    /// The stored secret as stored (sealed when a key is configured); open it with the sealer.
    func sealedSecret(_ txn: ReadTransaction, _ id: UInt64) throws -> [UInt8]? {
        try txn.get(tables.secrets, id)
    }

    /// Every stored secret the sealer did not seal (stored before a key was configured), by id.
    func unsealedSecrets(_ txn: ReadTransaction) throws -> [(id: UInt64, stored: [UInt8])] {
        var found: [(id: UInt64, stored: [UInt8])] = []
        try txn.forEach(in: tables.secrets) { id, stored in
            if !sealer.isSealed(stored) { found.append((id, stored)) }
            return .continue
        }
        return found
    }

    /// Replaces a secret stored unsealed by its `sealed` form; a secret sealed meanwhile (set
    /// since it was read) is left as it is.
    func replaceUnsealedSecret(_ txn: WriteTransaction, _ id: UInt64, sealed: [UInt8]) throws {
        guard let current = try txn.get(tables.secrets, id), !sealer.isSealed(current) else { return }
        try txn.put(tables.secrets, id, sealed)
    }

    func hasSecret(_ txn: ReadTransaction, _ id: UInt64) throws -> Bool {
        try txn.contains(tables.secrets, id)
    }

    /// Removes the record, its name and its secret.
    func remove(_ txn: WriteTransaction, _ id: UInt64, name: String) throws {
        try txn.delete(tables.secrets, id)
        try txn.delete(tables.names, name)
        try txn.delete(tables.datastores, id)
    }
}

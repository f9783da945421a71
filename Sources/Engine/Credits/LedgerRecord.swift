import Storage

/// How the `ledger` table stores a ``LedgerEntry``: a compact binary record, written once per
/// charged page inside the sync's commit (as JSON that was about 2 % of the commit's samples).
/// Entries written by earlier versions are JSON (they start with `{`) and still read; the
/// ledger is append-only, so those stay JSON.
///
/// Layout (integers big-endian, after ``BinaryRecord``'s format byte): a mask of the optional
/// fields present (``Field``); sequence, timestamp and amount; the kind as one byte
/// (``kindCodes``); then each optional field present, in ``Field`` order.
struct LedgerRecord: BinaryRecord, Sendable {
    static let tableName = "ledger"
    var value: LedgerEntry

    init(_ value: LedgerEntry) {
        self.value = value
    }

    private enum Field: UInt8, CaseIterable {
        case datastore = 0x1, pageId = 0x2, pageVersion = 0x4, tokens = 0x8, note = 0x10, balanceAfter = 0x20
    }

    /// A kind's stored byte: fixed here, never derived from declaration order.
    private static let kindCodes: [LedgerEntry.Kind: UInt8] = [
        .topUp: 0, .autoTopOff: 1, .charge: 2, .openingBalance: 3, .modelUsage: 4, .embedding: 5,
    ]
    private static let kindsByCode: [UInt8: LedgerEntry.Kind] = Dictionary(uniqueKeysWithValues: kindCodes.map { ($1, $0) })

    static func encode(_ entry: LedgerEntry, to writer: inout ByteWriter) {
        var mask: UInt8 = 0
        if entry.datastore != nil { mask |= Field.datastore.rawValue }
        if entry.pageId != nil { mask |= Field.pageId.rawValue }
        if entry.pageVersion != nil { mask |= Field.pageVersion.rawValue }
        if entry.tokens != nil { mask |= Field.tokens.rawValue }
        if entry.note != nil { mask |= Field.note.rawValue }
        if entry.balanceAfter != nil { mask |= Field.balanceAfter.rawValue }
        writer.append(mask)
        writer.append(entry.sequence)
        writer.append(entry.timestamp)
        writer.append(entry.amount)
        writer.append(Self.kindCodes[entry.kind]!)
        if let datastore = entry.datastore { writer.append(datastore) }
        if let pageId = entry.pageId { writer.appendPrefixed(pageId) }
        if let pageVersion = entry.pageVersion { writer.append(Int64(pageVersion)) }
        if let tokens = entry.tokens { writer.append(Int64(tokens)) }
        if let note = entry.note { writer.appendPrefixed(note) }
        if let balanceAfter = entry.balanceAfter { writer.append(balanceAfter) }
    }

    static func decode(_ reader: inout ByteReader) throws(StorageError) -> LedgerEntry {
        let mask = try readFieldMask(&reader, known: Field.allCases.reduce(UInt8(0)) { $0 | $1.rawValue })
        func has(_ field: Field) -> Bool { mask & field.rawValue != 0 }
        let sequence = try reader.read(UInt64.self)
        let timestamp = try reader.read(Int64.self)
        let amount = try reader.read(Int64.self)
        let code = try reader.read(UInt8.self)
        guard let kind = Self.kindsByCode[code] else {
            throw .decoding(table: tableName, detail: "unknown ledger entry kind \(code)")
        }
        return LedgerEntry(
            sequence: sequence, timestamp: timestamp, kind: kind, amount: amount,
            datastore: has(.datastore) ? try reader.read(UInt64.self) : nil,
            pageId: has(.pageId) ? try reader.readPrefixedString() : nil,
            pageVersion: has(.pageVersion) ? Int(try reader.read(Int64.self)) : nil,
            tokens: has(.tokens) ? Int(try reader.read(Int64.self)) : nil,
            note: has(.note) ? try reader.readPrefixedString() : nil,
            balanceAfter: has(.balanceAfter) ? try reader.read(Int64.self) : nil)
    }
}

/// A value stored in a compact binary layout that still reads the JSON (``JSONCoded``) earlier
/// versions wrote, so a table can move off JSON without a migration pass: records are
/// rewritten in the binary layout whenever their value is next written.
///
/// The binary layout starts with ``binaryFormat`` (JSON cannot start with it); the rest is the
/// conforming type's ``encode(_:to:)``, and nothing may follow it.
public protocol BinaryRecord: StorageCodable {
    associatedtype Value: Codable & Sendable
    /// The table's name, for errors.
    static var tableName: String { get }
    var value: Value { get }
    init(_ value: Value)
    /// Appends the value's fields (after the format byte).
    static func encode(_ value: Value, to writer: inout ByteWriter)
    /// Reads what ``encode(_:to:)`` wrote.
    static func decode(_ reader: inout ByteReader) throws(StorageError) -> Value
}

extension BinaryRecord {
    /// The first byte of a record in the binary layout.
    public static var binaryFormat: UInt8 { 1 }

    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var writer = ByteWriter(capacity: 128)
        writer.append(Self.binaryFormat)
        Self.encode(value, to: &writer)
        return try writer.bytes.withUnsafeBytes(body)
    }

    /// Reads the mask of optional fields present that an encoding wrote, refusing bits outside
    /// `known` (a field of a later version, or damage) rather than misreading what follows.
    public static func readFieldMask<Mask: FixedWidthInteger>(_ reader: inout ByteReader, known: Mask) throws(StorageError) -> Mask {
        let mask = try reader.read(Mask.self)
        guard mask & ~known == 0 else {
            throw .decoding(table: tableName, detail: "unknown optional fields \(mask & ~known)")
        }
        return mask
    }

    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {
        guard bytes.first == Self.binaryFormat else {
            // Written before the binary layout; anything else fails here as invalid JSON.
            self.init(try JSONCoded<Value>(storageBytes: bytes).value)
            return
        }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[1...]))
        let value = try Self.decode(&reader)
        guard reader.remainingCount == 0 else {
            throw .decoding(table: Self.tableName, detail: "\(reader.remainingCount) bytes after the record")
        }
        self.init(value)
    }
}

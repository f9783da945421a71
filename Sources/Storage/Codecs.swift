/// A type that can be written as the key or value of a ``Table``.
///
/// Integer conformances are big-endian (signed ones with the sign bit flipped), so LMDB's
/// byte-wise key order equals numeric order.
public protocol StorageEncodable {
    /// Calls `body` with the encoded bytes; the buffer is valid only during the call.
    func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

/// A type that can be read back from the bytes of a ``Table`` key or value.
public protocol StorageDecodable {
    /// Decodes from `bytes`, which may be unaligned and are valid only during the call.
    init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError)
}

/// Both directions.
public typealias StorageCodable = StorageEncodable & StorageDecodable

/// A type whose encoding always takes ``storageSize`` bytes: the values of a
/// ``TableOptions/duplicateFixed`` table, written in bulk by
/// ``WriteTransaction/putDuplicates(_:_:_:)``.
public protocol FixedSizeStorable: StorageCodable {
    /// The length of every encoding.
    static var storageSize: Int { get }
}

// MARK: - Fixed-width integers

/// Big-endian encoding shared by the unsigned integer conformances.
public protocol BigEndianStorable: FixedWidthInteger, FixedSizeStorable {}

extension BigEndianStorable {
    public static var storageSize: Int { MemoryLayout<Self>.size }

    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: bigEndian, body)
    }

    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {
        guard bytes.count == MemoryLayout<Self>.size else {
            throw .decoding(table: "", detail: "expected \(MemoryLayout<Self>.size) bytes for \(Self.self), got \(bytes.count)")
        }
        self.init(bigEndian: bytes.loadUnaligned(as: Self.self))
    }
}

extension UInt8: BigEndianStorable {}
extension UInt16: BigEndianStorable {}
extension UInt32: BigEndianStorable {}
extension UInt64: BigEndianStorable {}

extension Int64: FixedSizeStorable {
    public static var storageSize: Int { 8 }

    /// Flipping the sign bit maps Int64.min...max onto 0...UInt64.max in order.
    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try (UInt64(bitPattern: self) ^ (1 << 63)).withStorageBytes(body)
    }

    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {
        self.init(bitPattern: try UInt64(storageBytes: bytes) ^ (1 << 63))
    }
}

extension Int: FixedSizeStorable {
    public static var storageSize: Int { 8 }

    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Int64(self).withStorageBytes(body)
    }

    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {
        self.init(try Int64(storageBytes: bytes))
    }
}

// MARK: - Strings and bytes

extension String: StorageCodable {
    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }

    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {
        self = String(decoding: bytes, as: UTF8.self)
    }
}

extension Array: StorageEncodable where Element == UInt8 {
    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension Array: StorageDecodable where Element == UInt8 {
    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {
        self.init(bytes)
    }
}

/// A zero-length value, for tables used as sets.
public struct Empty: StorageCodable, Equatable, Sendable {
    public init() {}

    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {}
}

// MARK: - Composite records

/// A type stored as a sequence of fields written with ``ByteWriter`` and read with ``ByteReader``.
///
/// Composite keys put their fields in sort order: fixed-width integers big-endian, strings as
/// the last field or NUL-terminated, exactly as Knot DNS builds its ordered keys.
public protocol StorageRecord: StorageCodable {
    /// Appends the fields in order.
    func encode(to writer: inout ByteWriter)
    /// Reads the fields in the order ``encode(to:)`` wrote them.
    init(from reader: inout ByteReader) throws(StorageError)
}

extension StorageRecord {
    public func withStorageBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var writer = ByteWriter()
        encode(to: &writer)
        return try writer.bytes.withUnsafeBytes(body)
    }

    public init(storageBytes bytes: UnsafeRawBufferPointer) throws(StorageError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader)
    }
}

/// Builds the bytes of a composite key or a compact binary value.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 32) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends a fixed-width integer, big-endian.
    public mutating func append<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a signed 64-bit integer in order-preserving form.
    public mutating func appendOrdered(_ value: Int64) {
        append(UInt64(bitPattern: value) ^ (1 << 63))
    }

    /// Appends a boolean as one byte.
    public mutating func append(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// Appends raw bytes with nothing to mark their end: use only for the last field.
    public mutating func appendRemainder<C: Collection>(_ raw: C) where C.Element == UInt8 {
        bytes.append(contentsOf: raw)
    }

    /// Appends a string's UTF-8 bytes with nothing to mark their end: use only for the last
    /// field, or after a length written by the caller.
    public mutating func appendUTF8(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends a string followed by a NUL byte, so shorter strings sort before longer ones
    /// that extend them. NUL bytes inside the string are replaced by U+FFFD.
    public mutating func appendTerminated(_ string: String) {
        for byte in string.utf8 {
            if byte == 0 {
                bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
            } else {
                bytes.append(byte)
            }
        }
        bytes.append(0)
    }

    /// Appends a string with a 32-bit length prefix (for values, where order does not matter).
    public mutating func appendPrefixed(_ string: String) {
        append(UInt32(truncatingIfNeeded: string.utf8.count))
        appendUTF8(string)
    }

    /// Appends a byte array with a 32-bit length prefix.
    public mutating func appendPrefixed(_ raw: [UInt8]) {
        append(UInt32(truncatingIfNeeded: raw.count))
        bytes.append(contentsOf: raw)
    }
}

/// Reads fields written by ``ByteWriter``; every read checks bounds and throws on short input.
public struct ByteReader {
    private let buffer: UnsafeRawBufferPointer
    /// The offset of the next unread byte.
    public private(set) var offset = 0

    public init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    /// Bytes not yet read.
    public var remainingCount: Int { buffer.count - offset }

    /// Reads a big-endian fixed-width integer.
    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(StorageError) -> T {
        let size = MemoryLayout<T>.size
        try need(size, for: "\(T.self)")
        let value = T(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    /// Reads an order-preserving signed 64-bit integer.
    public mutating func readOrdered() throws(StorageError) -> Int64 {
        Int64(bitPattern: try read(UInt64.self) ^ (1 << 63))
    }

    /// Reads a one-byte boolean.
    public mutating func readBool() throws(StorageError) -> Bool {
        try read(UInt8.self) != 0
    }

    /// Reads everything left.
    public mutating func readRemainder() -> [UInt8] {
        defer { offset = buffer.count }
        return Array(buffer[offset...])
    }

    /// Reads everything left as UTF-8.
    public mutating func readRemainderString() -> String {
        defer { offset = buffer.count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset...]), as: UTF8.self)
    }

    /// Reads a NUL-terminated string.
    public mutating func readTerminated() throws(StorageError) -> String {
        guard let end = buffer[offset...].firstIndex(of: 0) else {
            throw .decoding(table: "", detail: "unterminated string at offset \(offset)")
        }
        let string = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<end]), as: UTF8.self)
        offset = end + 1
        return string
    }

    /// Reads a string with a 32-bit length prefix.
    public mutating func readPrefixedString() throws(StorageError) -> String {
        let count = Int(try read(UInt32.self))
        try need(count, for: "string")
        defer { offset += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count]), as: UTF8.self)
    }

    /// Reads a byte array with a 32-bit length prefix.
    public mutating func readPrefixedBytes() throws(StorageError) -> [UInt8] {
        let count = Int(try read(UInt32.self))
        try need(count, for: "bytes")
        defer { offset += count }
        return Array(buffer[offset..<offset + count])
    }

    private func need(_ count: Int, for what: String) throws(StorageError) {
        guard count >= 0, remainingCount >= count else {
            throw .decoding(table: "", detail: "need \(count) bytes for \(what) at offset \(offset), have \(remainingCount)")
        }
    }
}

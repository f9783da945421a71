import Testing
@testable import Storage

/// Encoded bytes of a value, for comparing orders.
private func bytes<T: StorageEncodable>(_ value: T) -> [UInt8] {
    value.withStorageBytes { Array($0) }
}

private func lexicographicallyPrecedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.lexicographicallyPrecedes(b)
}

@Suite("Key codecs")
struct CodecTests {
    @Test("Unsigned integers sort by value when compared as bytes")
    func unsignedOrder() {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<2_000).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) } + [0, 1, 255, 256, .max]
        let byBytes = values.sorted { lexicographicallyPrecedes(bytes($0), bytes($1)) }
        #expect(byBytes == values.sorted())
    }

    @Test("Signed integers, negative ones included, sort by value when compared as bytes")
    func signedOrder() throws {
        let values: [Int64] = (0..<2_000).map { _ in Int64.random(in: .min ... .max) } + [.min, -1, 0, 1, .max]
        let byBytes = values.sorted { lexicographicallyPrecedes(bytes($0), bytes($1)) }
        #expect(byBytes == values.sorted())
        for value in values {
            #expect(try value.withStorageBytes { try Int64(storageBytes: $0) } == value)
        }
        #expect(try (-42).withStorageBytes { try Int(storageBytes: $0) } == -42)
    }

    @Test("Integers round-trip and are big-endian")
    func roundTrip() throws {
        #expect(bytes(UInt32(0x0102_0304)) == [1, 2, 3, 4])
        #expect(try UInt16(0xBEEF).withStorageBytes { try UInt16(storageBytes: $0) } == 0xBEEF)
        #expect(throws: StorageError.self) {
            try [UInt8](repeating: 0, count: 3).withUnsafeBytes { try UInt64(storageBytes: $0) }
        }
    }

    @Test("Composite records keep field order, terminated strings sort prefixes first")
    func compositeOrder() throws {
        struct Key: StorageRecord, Equatable {
            var owner: UInt64
            var name: String
            var sequence: Int64
            func encode(to writer: inout ByteWriter) {
                writer.append(owner)
                writer.appendTerminated(name)
                writer.appendOrdered(sequence)
            }
            init(owner: UInt64, name: String, sequence: Int64) {
                self.owner = owner
                self.name = name
                self.sequence = sequence
            }
            init(from reader: inout ByteReader) throws(StorageError) {
                owner = try reader.read()
                name = try reader.readTerminated()
                sequence = try reader.readOrdered()
            }
        }
        let keys = [
            Key(owner: 2, name: "a", sequence: 0),
            Key(owner: 1, name: "ab", sequence: -5),
            Key(owner: 1, name: "a", sequence: 7),
            Key(owner: 1, name: "a", sequence: -7),
            Key(owner: 1, name: "", sequence: 100),
        ]
        let sorted = keys.sorted { lexicographicallyPrecedes(bytes($0), bytes($1)) }
        #expect(sorted.map(\.name) == ["", "a", "a", "ab", "a"])
        #expect(sorted.map(\.sequence) == [100, -7, 7, -5, 0])
        for key in keys {
            #expect(try key.withStorageBytes { try Key(storageBytes: $0) } == key)
        }
    }

    @Test("Readers refuse truncated input with a decoding error instead of reading past the end")
    func truncatedInput() {
        var writer = ByteWriter()
        writer.appendPrefixed("hello")
        let truncated = Array(writer.bytes.dropLast(2))
        #expect(throws: StorageError.self) {
            try truncated.withUnsafeBytes { buffer in
                var reader = ByteReader(buffer)
                _ = try reader.readPrefixedString()
            }
        }
        #expect(throws: StorageError.self) {
            try [UInt8]([0x61, 0x62]).withUnsafeBytes { buffer in
                var reader = ByteReader(buffer)
                _ = try reader.readTerminated()
            }
        }
    }

    @Test("JSON-coded values round-trip and report invalid JSON")
    func jsonCoded() throws {
        struct Config: Codable, Equatable, Sendable {
            var name: String
            var limit: Int
        }
        let value = JSONCoded(Config(name: "eng", limit: 3))
        let decoded = try value.withStorageBytes { try JSONCoded<Config>(storageBytes: $0) }
        #expect(decoded.value == value.value)
        #expect(throws: StorageError.self) {
            try Array("{not json".utf8).withUnsafeBytes { try JSONCoded<Config>(storageBytes: $0) }
        }
    }
}

import Foundation

/// Encodes `Encodable` values as compact JSON straight into bytes, without the intermediate
/// tree Foundation's `JSONEncoder` builds: about four times faster on a search reply, which is
/// what most of the control socket's time went to after the search itself, and on the
/// manifest and ledger records every synced page writes (``Storage/JSONCoded``).
///
/// It writes each container as its value's `encode(to:)` runs, so it takes the shapes that
/// synthesized and ordinary hand-written conformances produce: one container per value, keys
/// and elements encoded in order. Anything else (nested or super encoders, a second container
/// for one value, `Date`, `Data`, `URL` and `Decimal`, which `JSONEncoder` special-cases)
/// throws ``Unsupported``, and ``encode(_:)`` then encodes the value with `JSONEncoder`
/// (`.withoutEscapingSlashes`), so the output always means the same JSON. Strings are escaped
/// as `JSONEncoder` escapes them (`"`, `\`, control characters; `/` left alone); a
/// non-finite floating-point number throws `EncodingError.invalidValue`, as there.
public enum StreamingJSONEncoder {
    /// A shape this encoder does not write (see the type's notes).
    public struct Unsupported: Error {}

    /// `value` as JSON, by the streaming writer or, for shapes it does not take, `JSONEncoder`.
    public static func encode(_ value: some Encodable) throws(EncodingError) -> [UInt8] {
        do {
            return try streamed(value)
        } catch let error as EncodingError {
            throw error
        } catch {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            do {
                return Array(try encoder.encode(value))
            } catch let error as EncodingError {
                throw error
            } catch {
                throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(error)"))
            }
        }
    }

    /// `value` by the streaming writer only; throws ``Unsupported`` for shapes it does not take.
    public static func streamed(_ value: some Encodable) throws -> [UInt8] {
        let writer = Writer()
        try writer.encodeValue(value, codingPath: { [] })
        // A refused shape may have been asked for and left unused: the output would lack it.
        if writer.refused { throw Unsupported() }
        return writer.bytes
    }

    /// The output and the one container being written at each depth.
    fileprivate final class Writer {
        var bytes: [UInt8] = []
        /// Set when a value asked for a shape this writer does not take.
        var refused = false

        init() {
            bytes.reserveCapacity(4096)
        }

        /// Writes `value`: a scalar directly, anything else through its `encode(to:)`, closing
        /// the container it opened. `codingPath` is only built when needed (a nested value, an error).
        func encodeValue(_ value: some Encodable, codingPath: () -> [any CodingKey]) throws {
            switch value {
            case let string as String: writeString(string)
            case let bool as Bool: append(bool ? "true" : "false")
            case let int as Int: append(String(int))
            case let double as Double: try writeFloatingPoint(double, codingPath: codingPath())
            case let float as Float: try writeFloatingPoint(float, codingPath: codingPath())
            case let integer as any BinaryInteger: append(String(describing: integer))
            case is Date, is Data, is URL, is Decimal: throw Unsupported()
            default:
                let encoder = ValueEncoder(writer: self, codingPath: codingPath())
                try value.encode(to: encoder)
                switch encoder.state {
                case .empty: append("{}")  // encoded nothing: JSONEncoder writes an empty object
                case .keyed: bytes.append(UInt8(ascii: "}"))
                case .unkeyed: bytes.append(UInt8(ascii: "]"))
                case .single(let wrote): if !wrote { append("null") }
                }
            }
        }

        func append(_ text: String) {
            bytes.append(contentsOf: text.utf8)
        }

        func writeFloatingPoint<F: BinaryFloatingPoint & LosslessStringConvertible>(
            _ value: F, codingPath: [any CodingKey]
        ) throws {
            guard value.isFinite else {
                throw EncodingError.invalidValue(value, .init(
                    codingPath: codingPath, debugDescription: "Unable to encode \(value) directly in JSON."))
            }
            var text = value.description
            // As JSONEncoder writes whole numbers: 4, not 4.0.
            if text.hasSuffix(".0") { text.removeLast(2) }
            append(text)
        }

        func writeString(_ string: String) {
            var string = string
            string.withUTF8 { Self.writeEscaped($0, into: &bytes) }
        }

        /// Appends `utf8` as a JSON string literal: runs that need no escape are copied whole.
        private static func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>, into bytes: inout [UInt8]) {
            bytes.append(UInt8(ascii: "\""))
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    bytes.append(contentsOf: "u00".utf8)
                    bytes.append(hex.utf8Start[Int(byte >> 4)])
                    bytes.append(hex.utf8Start[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// The `Encoder` one value's `encode(to:)` sees; it may open one container.
    fileprivate final class ValueEncoder: Encoder {
        enum State {
            case empty, keyed, unkeyed
            case single(wrote: Bool)
        }

        let writer: Writer
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        var state = State.empty
        /// Members or elements written so far in the open container.
        var count = 0

        init(writer: Writer, codingPath: [any CodingKey]) {
            self.writer = writer
            self.codingPath = codingPath
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            switch state {
            case .empty:
                state = .keyed
                writer.bytes.append(UInt8(ascii: "{"))
                return KeyedEncodingContainer(KeyedContainer(encoder: self))
            case .keyed:
                // The same container asked for again (some conformances do): keep writing into it.
                return KeyedEncodingContainer(KeyedContainer(encoder: self))
            case .unkeyed, .single:
                writer.refused = true
                return KeyedEncodingContainer(RefusingKeyedContainer(codingPath: codingPath))
            }
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            switch state {
            case .empty:
                state = .unkeyed
                writer.bytes.append(UInt8(ascii: "["))
                return UnkeyedContainer(encoder: self)
            case .unkeyed:
                return UnkeyedContainer(encoder: self)
            case .keyed, .single:
                writer.refused = true
                return RefusingUnkeyedContainer(codingPath: codingPath)
            }
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            guard case .empty = state else {
                writer.refused = true
                return RefusingSingleValueContainer(codingPath: codingPath)
            }
            state = .single(wrote: false)
            return SingleValueContainer(encoder: self)
        }

        /// Writes the separator before the next member or element.
        func separate() {
            if count > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            count += 1
        }
    }

    fileprivate struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func key(_ key: Key) {
            encoder.separate()
            encoder.writer.writeString(key.stringValue)
            encoder.writer.bytes.append(UInt8(ascii: ":"))
        }

        mutating func encodeNil(forKey key: Key) throws {
            self.key(key)
            encoder.writer.append("null")
        }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            self.key(key)
            try encoder.writer.encodeValue(value, codingPath: { codingPath + [key] })
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            encoder.writer.refused = true
            return KeyedEncodingContainer(RefusingKeyedContainer(codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            encoder.writer.refused = true
            return RefusingUnkeyedContainer(codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder {
            encoder.writer.refused = true
            return RefusingEncoder(codingPath: codingPath)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            encoder.writer.refused = true
            return RefusingEncoder(codingPath: codingPath + [key])
        }
    }

    fileprivate struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int { encoder.count }

        mutating func encodeNil() throws {
            encoder.separate()
            encoder.writer.append("null")
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            let index = IndexKey(intValue: encoder.count)
            encoder.separate()
            try encoder.writer.encodeValue(value, codingPath: { codingPath + [index] })
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            encoder.writer.refused = true
            return KeyedEncodingContainer(RefusingKeyedContainer(codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            encoder.writer.refused = true
            return RefusingUnkeyedContainer(codingPath: codingPath)
        }

        mutating func superEncoder() -> any Encoder {
            encoder.writer.refused = true
            return RefusingEncoder(codingPath: codingPath)
        }
    }

    fileprivate struct SingleValueContainer: SingleValueEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func claim() throws {
            guard case .single(false) = encoder.state else { throw Unsupported() }
            encoder.state = .single(wrote: true)
        }

        mutating func encodeNil() throws {
            try claim()
            encoder.writer.append("null")
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try claim()
            try encoder.writer.encodeValue(value, codingPath: { codingPath })
        }
    }

    fileprivate struct IndexKey: CodingKey {
        var stringValue: String { "Index \(intValue ?? 0)" }
        var intValue: Int?
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    // MARK: Shapes the streaming writer refuses: each throws at its first use.

    fileprivate struct RefusingEncoder: Encoder {
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(RefusingKeyedContainer(codingPath: codingPath))
        }
        func unkeyedContainer() -> any UnkeyedEncodingContainer { RefusingUnkeyedContainer(codingPath: codingPath) }
        func singleValueContainer() -> any SingleValueEncodingContainer { RefusingSingleValueContainer(codingPath: codingPath) }
    }

    fileprivate struct RefusingKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let codingPath: [any CodingKey]
        mutating func encodeNil(forKey key: Key) throws { throw Unsupported() }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw Unsupported() }
        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(RefusingKeyedContainer<NestedKey>(codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            RefusingUnkeyedContainer(codingPath: codingPath)
        }
        mutating func superEncoder() -> any Encoder { RefusingEncoder(codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { RefusingEncoder(codingPath: codingPath) }
    }

    fileprivate struct RefusingUnkeyedContainer: UnkeyedEncodingContainer {
        let codingPath: [any CodingKey]
        var count: Int { 0 }
        mutating func encodeNil() throws { throw Unsupported() }
        mutating func encode<T: Encodable>(_ value: T) throws { throw Unsupported() }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(RefusingKeyedContainer<NestedKey>(codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { RefusingUnkeyedContainer(codingPath: codingPath) }
        mutating func superEncoder() -> any Encoder { RefusingEncoder(codingPath: codingPath) }
    }

    fileprivate struct RefusingSingleValueContainer: SingleValueEncodingContainer {
        let codingPath: [any CodingKey]
        mutating func encodeNil() throws { throw Unsupported() }
        mutating func encode<T: Encodable>(_ value: T) throws { throw Unsupported() }
    }
}

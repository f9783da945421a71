/// Byte constants and classes for scanning UTF-8 markup.
enum Byte {
    static let lessThan = UInt8(ascii: "<")
    static let greaterThan = UInt8(ascii: ">")
    static let ampersand = UInt8(ascii: "&")
    static let slash = UInt8(ascii: "/")
    static let bang = UInt8(ascii: "!")
    static let question = UInt8(ascii: "?")
    static let equals = UInt8(ascii: "=")
    static let doubleQuote = UInt8(ascii: "\"")
    static let singleQuote = UInt8(ascii: "'")
    static let space = UInt8(ascii: " ")
    static let newline = UInt8(ascii: "\n")

    /// Space, line feed, tab, carriage return or form feed.
    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        // One comparison for the common case (a byte above space), then a bit of a mask.
        byte <= 0x20 && (spaceMask >> UInt64(byte)) & 1 != 0
    }

    private static let spaceMask: UInt64 = 1 << 0x20 | 1 << 0x0A | 1 << 0x09 | 1 << 0x0D | 1 << 0x0C

    /// What `Character.isWhitespace` says of an ASCII character: tab, line feed, vertical tab,
    /// form feed, carriage return and space.
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        let lowered = byte | 0x20
        return lowered >= UInt8(ascii: "a") && lowered <= UInt8(ascii: "z")
    }

    /// A tag name starts with an ASCII letter (`<1` or `< ` is text, as in HTML).
    static func isNameStart(_ byte: UInt8) -> Bool { isLetter(byte) }

    static func isNameByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ".")
    }

    static func endsAttributeName(_ byte: UInt8) -> Bool {
        isSpace(byte) || byte == equals || byte == greaterThan || byte == slash || byte == lessThan
    }

    static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard start + count <= bytes.count else { return false }
        let pointer = prefix.utf8Start
        for offset in 0..<count where bytes[start + offset] != pointer[offset] { return false }
        return true
    }

    /// Whether `string`'s UTF-8 holds `byte` (over its contiguous storage when it has one: the
    /// generic `utf8.contains` walks the view index by index).
    static func contains(_ byte: UInt8, in string: String) -> Bool {
        string.utf8.withContiguousStorageIfAvailable { $0.contains(byte) } ?? string.utf8.contains(byte)
    }

    /// Index of the first occurrence of `needle` at or after `start`.
    static func find(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: StaticString, from start: Int) -> Int? {
        let first = needle.utf8Start[0]
        var index = start
        while index < bytes.count {
            if bytes[index] == first, hasPrefix(bytes, at: index, needle) { return index }
            index += 1
        }
        return nil
    }

    /// The bytes as a String with ASCII upper case lowered; avoids a copy when already lower.
    static func lowercasedString(_ bytes: ArraySlice<UInt8>) -> String {
        if !bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(decoding: bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 },
                      as: UTF8.self)
    }
}

import Foundation

/// A wire type with a decoder of its own for the common case, tried before `JSONDecoder`.
protocol FastJSONDecodable: Decodable {
    /// The value, or nil whenever the bytes are anything but the plain, valid shape: the caller
    /// then decodes them with `JSONDecoder`, which gives the same value or the precise error.
    static func fastDecode(_ bytes: UnsafeRawBufferPointer) -> Self?
}

extension V2List: FastJSONDecodable where Item == V2Page {
    static func fastDecode(_ bytes: UnsafeRawBufferPointer) -> V2List<V2Page>? {
        var parser = V2PageListParser(bytes: bytes)
        return parser.list()
    }
}

/// Reads a v2 page list (`GET /pages`, `/spaces/{id}/pages`, with storage bodies) straight
/// into ``V2List``/``V2Page``: the listing's bodies are most of a full sync's bytes, and
/// `JSONDecoder` spent about a tenth of the daemon's CPU there. Strict JSON only; it gives up
/// (nil) on anything it does not read exactly as `JSONDecoder` would: a duplicate or
/// mistyped field, a number that is not an integer, invalid UTF-8, a control character in a
/// string, nesting deeper than ``maxDepth``.
struct V2PageListParser {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    /// Objects and arrays open around the current position.
    private var depth = 0
    static let maxDepth = 64

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func list() -> V2List<V2Page>? {
        var results: [V2Page]?
        var links: ListLinks?
        guard object({ key, parser in
            switch key {
            case "results":
                guard let pages = parser.array({ parser in parser.page() }) else { return false }
                results = pages
            case "_links":
                guard parser.nullOr({ parser in parser.listLinks() }, into: &links) else { return false }
            default:
                return parser.skipValue()
            }
            return true
        }), atEnd(), let results else { return nil }
        return V2List(results: results, _links: links)
    }

    // MARK: The shapes

    private mutating func page() -> V2Page? {
        var id: FlexibleID?
        var page = V2Page(id: FlexibleID(""))
        guard object({ key, parser in
            switch key {
            case "id":
                id = parser.flexibleID()
                return id != nil
            case "status": return parser.nullOr({ $0.string() }, into: &page.status)
            case "title": return parser.nullOr({ $0.string() }, into: &page.title)
            case "spaceId": return parser.nullOr({ $0.flexibleID() }, into: &page.spaceId)
            case "parentId": return parser.nullOr({ $0.flexibleID() }, into: &page.parentId)
            case "createdAt": return parser.nullOr({ $0.string() }, into: &page.createdAt)
            case "version": return parser.nullOr({ $0.version() }, into: &page.version)
            case "body": return parser.nullOr({ $0.body() }, into: &page.body)
            case "_links": return parser.nullOr({ $0.webLinks() }, into: &page._links)
            default: return parser.skipValue()
            }
        }), let id else { return nil }
        page.id = id
        return page
    }

    private mutating func version() -> V2Version? {
        var version = V2Version()
        guard object({ key, parser in
            switch key {
            case "number": return parser.nullOr({ $0.integer().flatMap { Int(exactly: $0) } }, into: &version.number)
            case "createdAt": return parser.nullOr({ $0.string() }, into: &version.createdAt)
            default: return parser.skipValue()
            }
        }) else { return nil }
        return version
    }

    private mutating func body() -> V2Body? {
        var body = V2Body()
        guard object({ key, parser in
            switch key {
            case "storage":
                return parser.nullOr({ parser in
                    var value = BodyValue()
                                guard parser.object({ key, parser in
                                    if key == "value" { return parser.nullOr({ $0.string() }, into: &value.value) }
                        return parser.skipValue()
                    }) else { return nil }
                    return value
                }, into: &body.storage)
            default: return parser.skipValue()
            }
        }) else { return nil }
        return body
    }

    private mutating func webLinks() -> WebLinks? {
        var links = WebLinks()
        guard object({ key, parser in
            switch key {
            case "webui": return parser.nullOr({ $0.string() }, into: &links.webui)
            case "base": return parser.nullOr({ $0.string() }, into: &links.base)
            default: return parser.skipValue()
            }
        }) else { return nil }
        return links
    }

    private mutating func listLinks() -> ListLinks? {
        var links = ListLinks()
        guard object({ key, parser in
            switch key {
            case "next": return parser.nullOr({ $0.string() }, into: &links.next)
            case "base": return parser.nullOr({ $0.string() }, into: &links.base)
            case "context": return parser.nullOr({ $0.string() }, into: &links.context)
            default: return parser.skipValue()
            }
        }) else { return nil }
        return links
    }

    /// A string, or an integer written as its decimal digits (``FlexibleID``).
    private mutating func flexibleID() -> FlexibleID? {
        skipSpace()
        if peek == UInt8(ascii: "\"") { return string().map(FlexibleID.init) }
        return integer().map { FlexibleID(String($0)) }
    }

    // MARK: JSON

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard peek == byte else { return false }
        index += 1
        return true
    }

    private mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// `null` (the field stays nil) or a value read by `read`; false when neither.
    private mutating func nullOr<T>(_ read: (inout Self) -> T?, into field: inout T?) -> Bool {
        skipSpace()
        if literal("null") {
            field = nil
            return true
        }
        guard let value = read(&self) else { return false }
        field = value
        return true
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// An object, each member's value read by `member` (false: give up). A key met twice
    /// gives up too: which of the two values JSONDecoder keeps is its business.
    private mutating func object(_ member: (String, inout Self) -> Bool) -> Bool {
        guard depth < Self.maxDepth, consume(UInt8(ascii: "{")) else { return false }
        depth += 1
        defer { depth -= 1 }
        if consume(UInt8(ascii: "}")) { return true }
        var keys = Set<String>()
        while true {
            skipSpace()
            guard let key = string(), keys.insert(key).inserted, consume(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard member(key, &self) else { return false }
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "}"))
        }
    }

    private mutating func array<T>(_ element: (inout Self) -> T?) -> [T]? {
        guard depth < Self.maxDepth, consume(UInt8(ascii: "[")) else { return nil }
        depth += 1
        defer { depth -= 1 }
        var elements: [T] = []
        if consume(UInt8(ascii: "]")) { return elements }
        while true {
            skipSpace()
            guard let value = element(&self) else { return nil }
            elements.append(value)
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "]")) ? elements : nil
        }
    }

    /// A JSON number without fraction or exponent that fits an Int64.
    private mutating func integer() -> Int64? {
        skipSpace()
        let start = index
        guard number() else { return nil }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        guard !text.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { return nil }
        return Int64(String(decoding: text, as: UTF8.self))
    }

    /// A string: its bytes as they are when it has no escapes, else decoded.
    private mutating func string() -> String? {
        skipSpace()
        guard peek == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        index = runEnd(from: start)
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            let text = Self.validString(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            index += 1
            return text
        case UInt8(ascii: "\\"):
            return escapedString(from: start)
        default:
            return nil  // a control character
        }
    }

    /// The text of `utf8`, nil when it is not valid UTF-8. (`String(validating:as:)` is not
    /// specialized here and looked up generic metadata on every call.)
    private static func validString(_ utf8: UnsafeRawBufferPointer) -> String? {
        let units = utf8.assumingMemoryBound(to: UInt8.self)
        var text = String(decoding: units, as: UTF8.self)
        // Decoding repairs invalid sequences: valid input is the one that comes back byte for byte.
        let same = text.withUTF8 { decoded in
            decoded.count == units.count && (units.isEmpty || memcmp(decoded.baseAddress!, units.baseAddress!, units.count) == 0)
        }
        return same ? text : nil
    }

    /// Where the run of string bytes from `start` ends: at a quote, a backslash, a control
    /// character or the end (in a local, so the loop keeps its index in a register).
    private func runEnd(from start: Int) -> Int {
        var end = start
        let count = bytes.count
        while end < count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            end += 1
        }
        return end
    }

    private mutating func escapedString(from start: Int) -> String? {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(index - start + 64)
        utf8.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            // The run up to the next quote, backslash or control character, copied whole.
            let run = index
            index = runEnd(from: run)
            if index > run { utf8.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<index])) }
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return utf8.withUnsafeBytes { Self.validString($0) }
            case UInt8(ascii: "\\"):
                guard let escape = peek else { return nil }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    guard var unit = hex4() else { return nil }
                    var scalar: Unicode.Scalar?
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate must be followed by an escaped low one.
                        guard literal("\\u"), let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        scalar = Unicode.Scalar(unit)
                    } else if !(0xDC00...0xDFFF).contains(unit) {
                        scalar = Unicode.Scalar(unit)
                    }
                    guard let scalar else { return nil }
                    utf8.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    return nil
                }
            default:
                return nil  // a control character
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Any value, checked and dropped (a field the client does not read).
    private mutating func skipValue() -> Bool {
        skipSpace()
        switch peek {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "{"): return object { _, parser in parser.skipValue() }
        case UInt8(ascii: "["): return array { parser in parser.skipValue() ? true : nil } != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    /// Any JSON number, by the grammar.
    private mutating func number() -> Bool {
        if peek == UInt8(ascii: "-") { index += 1 }
        func digits(_ parser: inout Self) -> Int {
            let start = parser.index
            while let byte = parser.peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { parser.index += 1 }
            return parser.index - start
        }
        let first = index
        let count = digits(&self)
        guard count > 0, !(bytes[first] == UInt8(ascii: "0") && count > 1) else { return false }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { return false }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { return false }
        }
        return true
    }
}

/// A parsed storage-format fragment: an arena of nodes linked parent → first child → next
/// sibling, with text decoded into one shared byte buffer. Index 0 is the synthetic root.
///
/// Arena storage keeps parsing allocation-light: one array of small structs instead of an
/// object per element.
struct ElementTree {
    /// A node: an element (with a name and attributes in `source`) or a run of decoded text.
    struct Node {
        var tag: Tag
        var nameStart = 0, nameEnd = 0
        var attributeStart = 0, attributeEnd = 0
        var textStart = 0, textEnd = 0
        var firstChild = -1, lastChild = -1, nextSibling = -1
        var isVoidElement = false
    }

    /// An attribute, as byte ranges of the source; values are decoded only when read.
    struct Attribute {
        var nameStart: Int, nameEnd: Int
        var valueStart: Int, valueEnd: Int
    }

    var source: [UInt8]
    var nodes: [Node] = [Node(tag: .root)]
    var attributes: [Attribute] = []
    var text: [UInt8] = []
    var warnings: [ParseWarning] = []

    static let root = 0

    /// The children of `node`, in order.
    func children(of node: Int) -> ChildSequence { ChildSequence(nodes: nodes, first: nodes[node].firstChild) }

    /// The first child of `node` with the given tag.
    func firstChild(of node: Int, tag: Tag) -> Int? {
        children(of: node).first { nodes[$0].tag == tag }
    }

    /// The decoded text bytes of a text node.
    func textBytes(of node: Int) -> ArraySlice<UInt8> { text[nodes[node].textStart..<nodes[node].textEnd] }

    /// The element name as written, lower-cased.
    func name(of node: Int) -> String {
        String(decoding: source[nodes[node].nameStart..<nodes[node].nameEnd], as: UTF8.self).lowercased()
    }

    /// The decoded value of the attribute called `name` (lower-case, matched case-insensitively),
    /// or nil when absent.
    func attribute(_ name: String, of node: Int) -> String? {
        let entry = nodes[node]
        guard entry.attributeStart < entry.attributeEnd else { return nil }
        for index in entry.attributeStart..<entry.attributeEnd {
            let attribute = attributes[index]
            if Self.equalsIgnoringASCIICase(source[attribute.nameStart..<attribute.nameEnd], name) {
                return decodedValue(attribute)
            }
        }
        return nil
    }

    /// All text under `node`, concatenated without any whitespace handling (for CDATA bodies).
    func rawText(of node: Int) -> String {
        var bytes: [UInt8] = []
        appendRawText(of: node, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    func appendRawText(of node: Int, to bytes: inout [UInt8]) {
        if nodes[node].tag == .text {
            bytes.append(contentsOf: textBytes(of: node))
            return
        }
        if nodes[node].tag == .br { bytes.append(UInt8(ascii: "\n")) }
        for child in children(of: node) { appendRawText(of: child, to: &bytes) }
    }

    private func decodedValue(_ attribute: Attribute) -> String {
        let raw = source[attribute.valueStart..<attribute.valueEnd]
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        source.withUnsafeBufferPointer { bytes in
            var index = attribute.valueStart
            while index < attribute.valueEnd {
                if bytes[index] == UInt8(ascii: "&"),
                   let next = HTMLEntities.decode(bytes, at: index, end: attribute.valueEnd, into: &decoded) {
                    index = next
                } else {
                    decoded.append(bytes[index])
                    index += 1
                }
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func equalsIgnoringASCIICase(_ bytes: ArraySlice<UInt8>, _ name: String) -> Bool {
        guard bytes.count == name.utf8.count else { return false }
        return zip(bytes, name.utf8).allSatisfy { pair in
            let lowered = pair.0 >= UInt8(ascii: "A") && pair.0 <= UInt8(ascii: "Z") ? pair.0 | 0x20 : pair.0
            return lowered == pair.1
        }
    }
}

/// Iterates the children of one node without allocating.
struct ChildSequence: Sequence, IteratorProtocol {
    let nodes: [ElementTree.Node]
    var current: Int

    init(nodes: [ElementTree.Node], first: Int) {
        self.nodes = nodes
        self.current = first
    }

    mutating func next() -> Int? {
        guard current >= 0 else { return nil }
        defer { current = nodes[current].nextSibling }
        return current
    }
}

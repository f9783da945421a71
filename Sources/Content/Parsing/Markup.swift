/// Element and text events from the project's tolerant markup parser, for readers outside
/// Content that need XML or HTML text (attachment extraction: OOXML, ODF, XML and HTML files).
/// Names arrive lower-cased with their prefix (`w:t`, `text:p`); entities and CDATA are decoded.
public protocol MarkupVisitor {
    /// An element starts; `attributes` is valid only during the call.
    mutating func enter(_ name: String, attributes: MarkupAttributes)
    /// A run of decoded text inside the innermost open element.
    mutating func text(_ text: String)
    /// The element `name` ends (also for elements the input never closed).
    mutating func leave(_ name: String)
}

/// The attributes of the element being entered.
public struct MarkupAttributes {
    let tree: ElementTree
    let node: Int

    /// The decoded value of `name` (matched case-insensitively), or nil when absent.
    public subscript(_ name: String) -> String? { tree.attribute(name.lowercased(), of: node) }
}

/// Entry point of the event walk.
public enum Markup {
    /// Parses `bytes` (never fails; nesting beyond `options.maxNestingDepth` is flattened) and
    /// reports its elements and text to `visitor` in document order, without recursion.
    public static func walk<Visitor: MarkupVisitor>(
        utf8 bytes: [UInt8], options: ConversionOptions = ConversionOptions(), visitor: inout Visitor
    ) {
        let tree = ElementTreeBuilder.parse(bytes, options: options)
        // Each entry: an element whose children are being visited, and the next child to visit.
        var stack: [(node: Int, next: Int)] = [(ElementTree.root, tree.nodes[ElementTree.root].firstChild)]
        while let top = stack.last {
            guard top.next >= 0 else {
                stack.removeLast()
                if top.node != ElementTree.root { visitor.leave(tree.name(of: top.node)) }
                continue
            }
            let child = top.next
            stack[stack.count - 1].next = tree.nodes[child].nextSibling
            if tree.nodes[child].tag == .text {
                visitor.text(String(decoding: tree.textBytes(of: child), as: UTF8.self))
            } else {
                visitor.enter(tree.name(of: child), attributes: MarkupAttributes(tree: tree, node: child))
                stack.append((child, tree.nodes[child].firstChild))
            }
        }
    }
}

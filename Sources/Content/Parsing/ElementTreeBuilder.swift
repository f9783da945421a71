/// Builds an ``ElementTree`` from storage format in one pass over its UTF-8 bytes.
///
/// The scanner is a tolerant tokenizer (tags, text, entities, CDATA, comments) and the builder
/// applies HTML-style recovery: implied end tags for `p`/`li`/`tr`/`td`/`th`/`dt`/`dd`, end tags
/// that close intervening elements, stray end tags ignored, truncated tags dropped, and elements
/// beyond the nesting limit flattened into their ancestor. Every step consumes at least one byte,
/// so parsing always terminates in linear time (times the bounded stack depth).
struct ElementTreeBuilder {
    private var tree: ElementTree
    private var openElements: [Int] = [ElementTree.root]
    private let options: ConversionOptions
    private var droppedWarnings = 0
    private var reportedDepthLimit = false

    /// Parses `bytes` into a tree; never fails.
    static func parse(_ bytes: [UInt8], options: ConversionOptions) -> ElementTree {
        var builder = ElementTreeBuilder(tree: ElementTree(source: bytes), options: options)
        builder.tree.nodes.reserveCapacity(bytes.count / 24 + 4)
        builder.tree.text.reserveCapacity(bytes.count / 2)
        builder.run()
        return builder.tree
    }

    private init(tree: ElementTree, options: ConversionOptions) {
        self.tree = tree
        self.options = options
    }

    private mutating func run() {
        let source = tree.source
        source.withUnsafeBufferPointer { bytes in
            var index = 0
            while index < bytes.count {
                index = bytes[index] == Byte.lessThan
                    ? scanMarkup(bytes, at: index) : scanText(bytes, from: index)
            }
        }
        if openElements.count > 1 {
            let names = openElements.dropFirst().suffix(5).map { "<\(tree.name(of: $0))>" }
            warn(at: source.count, "\(openElements.count - 1) element(s) not closed at end of input: "
                + names.joined(separator: ", "))
        }
        if droppedWarnings > 0 {
            tree.warnings.append(ParseWarning(
                byteOffset: source.count, message: "\(droppedWarnings) more warning(s) not shown"))
        }
    }

    // MARK: Text

    private mutating func scanText(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let textStart = tree.text.count
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Byte.lessThan { break }
            if byte == Byte.ampersand {
                if let next = HTMLEntities.decode(bytes, at: index, end: bytes.count, into: &tree.text) {
                    index = next
                } else {
                    tree.text.append(byte)
                    index += 1
                }
                continue
            }
            var runEnd = index + 1
            while runEnd < bytes.count, bytes[runEnd] != Byte.lessThan, bytes[runEnd] != Byte.ampersand {
                runEnd += 1
            }
            tree.text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<runEnd]))
            index = runEnd
        }
        appendTextNode(from: textStart)
        return index
    }

    /// Turns the text bytes appended since `textStart` into a node, merging with a preceding text
    /// sibling so that split CDATA sections and stray `<` read as one run.
    private mutating func appendTextNode(from textStart: Int) {
        let textEnd = tree.text.count
        guard textEnd > textStart else { return }
        let parent = openElements[openElements.count - 1]
        let last = tree.nodes[parent].lastChild
        if last >= 0, tree.nodes[last].tag == .text, tree.nodes[last].textEnd == textStart {
            tree.nodes[last].textEnd = textEnd
            return
        }
        var node = ElementTree.Node(tag: .text)
        node.textStart = textStart
        node.textEnd = textEnd
        append(node, to: parent)
    }

    // MARK: Markup

    private mutating func scanMarkup(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int {
        let next = start + 1 < bytes.count ? bytes[start + 1] : 0
        if Byte.isNameStart(next) { return scanStartTag(bytes, at: start) }
        if next == Byte.slash {
            if start + 2 < bytes.count, Byte.isNameStart(bytes[start + 2]) { return scanEndTag(bytes, at: start) }
            // HTML's rule for `</` not followed by a name: a bogus comment up to the next `>`.
            warn(at: start, "malformed end tag skipped")
            return skipDeclaration(bytes, at: start)
        }
        if next == Byte.bang {
            if Byte.hasPrefix(bytes, at: start, "<!--") {
                guard let close = Byte.find(bytes, "-->", from: start + 4) else {
                    warn(at: start, "unclosed comment: rest of input ignored")
                    return bytes.count
                }
                return close + 3
            }
            if Byte.hasPrefix(bytes, at: start, "<![CDATA[") { return scanCDATA(bytes, at: start) }
            return skipDeclaration(bytes, at: start)
        }
        if next == Byte.question { return skipDeclaration(bytes, at: start) }
        warn(at: start, "stray '<' kept as text")
        let textStart = tree.text.count
        tree.text.append(Byte.lessThan)
        appendTextNode(from: textStart)
        return start + 1
    }

    private mutating func scanCDATA(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int {
        let contentStart = start + 9
        let close = Byte.find(bytes, "]]>", from: contentStart)
        if close == nil { warn(at: start, "unclosed CDATA section: kept to end of input") }
        let contentEnd = close ?? bytes.count
        let textStart = tree.text.count
        tree.text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<contentEnd]))
        appendTextNode(from: textStart)
        return close.map { $0 + 3 } ?? bytes.count
    }

    private mutating func skipDeclaration(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int {
        var index = start + 2
        while index < bytes.count, bytes[index] != Byte.greaterThan { index += 1 }
        if index >= bytes.count { warn(at: start, "unclosed declaration: rest of input ignored") }
        return min(index + 1, bytes.count)
    }

    private mutating func scanStartTag(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int {
        var index = start + 1
        let nameStart = index
        while index < bytes.count, Byte.isNameByte(bytes[index]) { index += 1 }
        let nameEnd = index
        let attributeStart = tree.attributes.count
        var selfClosing = false
        var complete = false
        scanning: while index < bytes.count {
            let byte = bytes[index]
            if Byte.isSpace(byte) {
                index += 1
            } else if byte == Byte.greaterThan {
                index += 1
                complete = true
                break scanning
            } else if byte == Byte.slash {
                index += 1
                if index < bytes.count, bytes[index] == Byte.greaterThan {
                    index += 1
                    selfClosing = true
                    complete = true
                    break scanning
                }
            } else if byte == Byte.lessThan {
                // `<p <b>`: end the broken tag here and let the next one parse normally.
                warn(at: index, "tag not closed before '<'")
                complete = true
                break scanning
            } else {
                guard let next = scanAttribute(bytes, at: index) else { break scanning }
                index = next
            }
        }
        guard complete else {
            warn(at: start, "truncated tag at end of input dropped")
            tree.attributes.removeSubrange(attributeStart...)
            return bytes.count
        }
        openElement(nameStart: nameStart, nameEnd: nameEnd, attributeStart: attributeStart,
                    selfClosing: selfClosing, at: start)
        return index
    }

    /// Scans `name`, `name=value`, `name="value"` or `name='value'`; returns nil when the input
    /// ends inside a quoted value.
    private mutating func scanAttribute(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int? {
        var index = start
        while index < bytes.count, !Byte.endsAttributeName(bytes[index]) { index += 1 }
        if index == start { return start + 1 }  // a lone `=` or quote: skip it
        let nameEnd = index
        while index < bytes.count, Byte.isSpace(bytes[index]) { index += 1 }
        var valueStart = index, valueEnd = index
        if index < bytes.count, bytes[index] == Byte.equals {
            index += 1
            while index < bytes.count, Byte.isSpace(bytes[index]) { index += 1 }
            if index < bytes.count, bytes[index] == Byte.doubleQuote || bytes[index] == Byte.singleQuote {
                let quote = bytes[index]
                index += 1
                valueStart = index
                // Storage format is XML, where a raw `<` cannot occur in a value: meeting one
                // means the closing quote is missing, so the value (and the tag) end there.
                while index < bytes.count, bytes[index] != quote, bytes[index] != Byte.lessThan { index += 1 }
                guard index < bytes.count else { return nil }
                valueEnd = index
                if bytes[index] == Byte.lessThan {
                    warn(at: start, "attribute value missing its closing quote")
                } else {
                    index += 1
                }
            } else {
                valueStart = index
                while index < bytes.count, !Byte.isSpace(bytes[index]),
                      bytes[index] != Byte.greaterThan, bytes[index] != Byte.lessThan {
                    index += 1
                }
                valueEnd = index
            }
        }
        tree.attributes.append(ElementTree.Attribute(
            nameStart: start, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd))
        return index
    }

    private mutating func scanEndTag(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int {
        var index = start + 2
        let nameStart = index
        while index < bytes.count, Byte.isNameByte(bytes[index]) { index += 1 }
        let nameEnd = index
        while index < bytes.count, bytes[index] != Byte.greaterThan {
            if bytes[index] == Byte.lessThan {
                warn(at: start, "end tag not closed before '<'")
                closeElement(nameStart: nameStart, nameEnd: nameEnd, at: start)
                return index
            }
            index += 1
        }
        guard index < bytes.count else {
            warn(at: start, "truncated end tag at end of input dropped")
            return bytes.count
        }
        closeElement(nameStart: nameStart, nameEnd: nameEnd, at: start)
        return index + 1
    }

    // MARK: Tree

    private func tagInfo(nameStart: Int, nameEnd: Int) -> (tag: Tag, isVoid: Bool) {
        tree.source.withUnsafeBufferPointer { TagLookup.shared.info(UnsafeBufferPointer(rebasing: $0[nameStart..<nameEnd])) }
    }

    private mutating func openElement(
        nameStart: Int, nameEnd: Int, attributeStart: Int, selfClosing: Bool, at offset: Int
    ) {
        let (tag, isVoid) = tagInfo(nameStart: nameStart, nameEnd: nameEnd)
        closeImpliedElements(before: tag)
        guard openElements.count <= options.maxNestingDepth else {
            if !reportedDepthLimit {
                reportedDepthLimit = true
                warn(at: offset, "nesting deeper than \(options.maxNestingDepth) flattened")
            }
            tree.attributes.removeSubrange(attributeStart...)
            return
        }
        var node = ElementTree.Node(tag: tag)
        node.nameStart = nameStart
        node.nameEnd = nameEnd
        node.attributeStart = attributeStart
        node.attributeEnd = tree.attributes.count
        node.isVoidElement = isVoid
        let index = append(node, to: openElements[openElements.count - 1])
        if !selfClosing, !isVoid { openElements.append(index) }
    }

    /// HTML's implied end tags: a new `li` closes the open `li` of the same list, and so on.
    private mutating func closeImpliedElements(before tag: Tag) {
        // Which open elements `tag` closes, and which it does not look past (switches, not sets:
        // this runs for every start tag).
        let closes: (Tag) -> Bool, isBoundary: (Tag) -> Bool
        switch tag {
        case .p:
            if tree.nodes[openElements[openElements.count - 1]].tag == .p { openElements.removeLast() }
            return
        case .li:
            closes = { $0 == .li }
            isBoundary = { $0 == .ul || $0 == .ol || $0 == .table }
        case .tr:
            closes = { $0 == .tr }
            isBoundary = { $0 == .table || $0 == .thead || $0 == .tbody || $0 == .tfoot }
        case .td, .th:
            closes = { $0 == .td || $0 == .th }
            isBoundary = { $0 == .tr || $0 == .table }
        case .dt, .dd:
            closes = { $0 == .dt || $0 == .dd }
            isBoundary = { $0 == .dl }
        case .thead, .tbody, .tfoot:
            closes = { $0 == .thead || $0 == .tbody || $0 == .tfoot }
            isBoundary = { $0 == .table }
        default: return
        }
        var position = openElements.count - 1
        while position > 0 {
            let open = tree.nodes[openElements[position]].tag
            if isBoundary(open) { return }
            if closes(open) {
                openElements.removeSubrange(position...)
                return
            }
            position -= 1
        }
    }

    private mutating func closeElement(nameStart: Int, nameEnd: Int, at offset: Int) {
        let (tag, isVoid) = tagInfo(nameStart: nameStart, nameEnd: nameEnd)
        if isVoid { return }  // `<br></br>`: the element was already complete
        var position = openElements.count - 1
        while position > 0 {
            let node = tree.nodes[openElements[position]]
            if node.tag == tag, tag != .other || sameName(node, nameStart: nameStart, nameEnd: nameEnd) {
                if !openElements[(position + 1)...].allSatisfy({ tree.nodes[$0].tag.hasOptionalEndTag }) {
                    let innermost = tree.name(of: openElements[openElements.count - 1])
                    warn(at: offset, "</\(tree.name(of: openElements[position]))> closed unfinished <\(innermost)>")
                }
                openElements.removeSubrange(position...)
                return
            }
            position -= 1
        }
        warn(at: offset, "stray </\(Byte.lowercasedString(tree.source[nameStart..<nameEnd]))> ignored")
    }

    private func sameName(_ node: ElementTree.Node, nameStart: Int, nameEnd: Int) -> Bool {
        guard node.nameEnd - node.nameStart == nameEnd - nameStart else { return false }
        for offset in 0..<(nameEnd - nameStart)
        where tree.source[node.nameStart + offset] | 0x20 != tree.source[nameStart + offset] | 0x20 {
            return false
        }
        return true
    }

    @discardableResult
    private mutating func append(_ node: ElementTree.Node, to parent: Int) -> Int {
        let index = tree.nodes.count
        tree.nodes.append(node)
        let last = tree.nodes[parent].lastChild
        if last >= 0 {
            tree.nodes[last].nextSibling = index
        } else {
            tree.nodes[parent].firstChild = index
        }
        tree.nodes[parent].lastChild = index
        return index
    }

    private mutating func warn(at offset: Int, _ message: String) {
        if tree.warnings.count < options.maxWarnings - 1 {
            tree.warnings.append(ParseWarning(byteOffset: offset, message: message))
        } else {
            droppedWarnings += 1
        }
    }
}

extension DocumentAssembler {
    func walkChildren(of node: Int, into flow: inout Flow) {
        var child = tree.nodes[node].firstChild
        while child >= 0 {
            walk(child, into: &flow)
            child = tree.nodes[child].nextSibling
        }
    }

    /// Converts one node into `flow`.
    func walk(_ node: Int, into flow: inout Flow) {
        switch tree.nodes[node].tag {
        case .text:
            flow.inline.append(collapsing: tree.textBytes(of: node))
        case .root, .other, .richTextBody, .linkBody, .imageCaption, .adfNode, .adfContent, .adfFallback,
             .taskBody:
            walkChildren(of: node, into: &flow)
        case .p, .div, .dl, .dt, .dd, .li, .caption, .thead, .tbody, .tfoot, .tr, .th, .td, .task:
            // Block containers (and table or list parts found outside their parent).
            flow.flush()
            walkChildren(of: node, into: &flow)
            flow.flush()
        case .h1, .h2, .h3, .h4, .h5, .h6:
            heading(node, level: tree.nodes[node].tag.headingLevel ?? 1, into: &flow)
        case .br:
            flow.inline.appendLineBreak()
        case .hr:
            flow.append(.rule)
        case .pre:
            let text = Self.trimmedCode(tree.rawText(of: node))
            if !text.isEmpty { flow.append(.code(CodeBlock(language: nil, title: nil, text: text))) }
        case .plainTextBody:
            let text = Self.trimmedCode(tree.rawText(of: node))
            if !text.isEmpty { flow.append(.code(CodeBlock(language: nil, title: nil, text: text))) }
        case .blockquote:
            let blocks = blocks(ofChildrenOf: node)
            if !blocks.isEmpty { flow.append(.quote(blocks)) }
        case .ul, .ol:
            if let list = list(node) { flow.append(list) }
        case .table:
            flow.flush()
            flow.blocks += table(node)
        case .taskList:
            if let tasks = taskList(node) { flow.append(tasks) }
        case .structuredMacro, .macro:
            macro(node, into: &flow)
        case .adfExtension:
            adfExtension(node, into: &flow)
        case .a:
            htmlLink(node, into: &flow)
        case .link:
            confluenceLink(node, into: &flow)
        case .code:
            let text = flattenedText(ofChildrenOf: node)
            if !text.isEmpty { flow.inline.append("`\(text)`") }
        case .img:
            htmlImage(node, into: &flow)
        case .image:
            confluenceImage(node, into: &flow)
        case .emoticon:
            emoticon(node, into: &flow)
        case .time:
            let datetime = tree.attribute("datetime", of: node) ?? ""
            if datetime.isEmpty { walkChildren(of: node, into: &flow) } else { flow.inline.append(collapsingString: datetime) }
        case .plainTextLinkBody:
            flow.inline.append(collapsingString: tree.rawText(of: node))
        case .colgroup, .col, .script, .style, .placeholder, .parameter, .taskStatus, .adfAttribute,
             .riPage, .riBlogPost, .riAttachment, .riUser, .riSpace, .riURL, .riContentEntity:
            break
        }
    }

    private func heading(_ node: Int, level: Int, into flow: inout Flow) {
        flow.flush()
        let text = flattenedText(ofChildrenOf: node)
        guard !text.isEmpty else { return }
        if flow.isTopLevel {
            startSection(heading: text, level: level, flow: &flow)
        } else {
            flow.blocks.append(.heading(level: level, text: text))
        }
    }

    /// The blocks of a container converted on its own (headings there do not start sections).
    func blocks(ofChildrenOf node: Int) -> [Block] {
        var flow = Flow()
        walkChildren(of: node, into: &flow)
        flow.flush()
        return flow.blocks
    }

    /// The content of a node as one line of text (for headings, cells, titles, link bodies).
    func flattenedText(ofChildrenOf node: Int, separator: String = " ") -> String {
        BlockFlattener.flatten(blocks(ofChildrenOf: node), separator: separator)
    }

    private func list(_ node: Int) -> Block? {
        var items: [[Block]] = []
        for child in tree.children(of: node) {
            switch tree.nodes[child].tag {
            case .li:
                let blocks = blocks(ofChildrenOf: child)
                if !blocks.isEmpty { items.append(blocks) }
            case .ul, .ol:
                // A list directly inside a list (invalid but common): it belongs to the last item.
                guard let nested = list(child) else { continue }
                if items.isEmpty { items.append([nested]) } else { items[items.count - 1].append(nested) }
            default:
                var flow = Flow()
                walk(child, into: &flow)
                flow.flush()
                if !flow.blocks.isEmpty { items.append(flow.blocks) }
            }
        }
        guard !items.isEmpty else { return nil }
        let isOrdered = tree.nodes[node].tag == .ol
        let start = tree.attribute("start", of: node).flatMap { Int($0.trimmingSpaces) } ?? 1
        return .list(ListBlock(isOrdered: isOrdered, start: start, items: items))
    }

    private func taskList(_ node: Int) -> Block? {
        var items: [TaskItem] = []
        for child in tree.children(of: node) {
            switch tree.nodes[child].tag {
            case .task:
                let status = tree.firstChild(of: child, tag: .taskStatus).map { tree.rawText(of: $0) } ?? ""
                let body = tree.firstChild(of: child, tag: .taskBody).map { blocks(ofChildrenOf: $0) } ?? []
                var item = TaskItem(isComplete: status.trimmingSpaces.lowercased() == "complete", blocks: body)
                // Some editors nest a sub-list inside the task rather than beside it.
                for nested in tree.children(of: child) where tree.nodes[nested].tag == .taskList {
                    if let block = taskList(nested) { item.blocks.append(block) }
                }
                items.append(item)
            case .taskList:
                guard let nested = taskList(child) else { continue }
                if items.isEmpty {
                    if case .tasks(let nestedItems) = nested { items += nestedItems }
                } else {
                    items[items.count - 1].blocks.append(nested)
                }
            default:
                continue
            }
        }
        return items.isEmpty ? nil : .tasks(items)
    }

    /// Code text as stored, with `\r\n` normalised and blank lines around it removed.
    static func trimmedCode(_ text: String) -> String {
        // Byte by byte: every code block passes here. A line is blank when all its characters
        // are whitespace; lines holding non-ASCII bytes are judged by `Character.isWhitespace`.
        var text = text.replacingCRLF
        return text.withUTF8 { bytes -> String in
            func isBlank(_ start: Int, _ end: Int) -> Bool {
                for index in start..<end where !Byte.isASCIIWhitespace(bytes[index]) {
                    guard bytes[index] >= 0x80 else { return false }
                    let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                    return line.allSatisfy(\.isWhitespace)
                }
                return true
            }
            var first = 0
            while true {
                let end = bytes[first...].firstIndex(of: Byte.newline) ?? bytes.count
                if !isBlank(first, end) { break }
                guard end < bytes.count else { return "" }
                first = end + 1
            }
            // A line that is not blank exists (at `first`), so this stops at or after it.
            var last = bytes.count
            while true {
                let start = bytes[..<last].lastIndex(of: Byte.newline).map { $0 + 1 } ?? 0
                if !isBlank(start, last) { break }
                last = start - 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<last]), as: UTF8.self)
        }
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    var trimmingSpaces: String {
        // Nothing to trim when both ends are ASCII and not whitespace (no allocation).
        if let head = utf8.first, let tail = utf8.last, head < 0x80, tail < 0x80,
           !Byte.isASCIIWhitespace(head), !Byte.isASCIIWhitespace(tail) {
            return self
        }
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }

    /// The string with `\r\n` and lone `\r` turned into `\n`.
    var replacingCRLF: String {
        guard Byte.contains(UInt8(ascii: "\r"), in: self) else { return self }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var previousWasCR = false
        for byte in utf8 {
            if byte == UInt8(ascii: "\r") {
                bytes.append(Byte.newline)
                previousWasCR = true
                continue
            }
            if !(byte == Byte.newline && previousWasCR) { bytes.append(byte) }
            previousWasCR = false
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
